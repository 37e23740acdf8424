"""The question bank sealed at rest: one bank data key (wrapped by the master key) seals every question, option,
points value and image; duplicate checks use keyed fingerprints. Here, below both libraries, because the bank store
and scoring (which reads the key) both open what it seals.

A sealed row's identity is bound into its associated data (item uid and version, option and version ids, image
hash and type), so a ciphertext moved to another row does not open. Rows written before (``sealed`` is None, an
image without the prefix) are read as they are until ``exam-engine bank encrypt`` seals them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import clock, crypto, keyring
from ground.models.bank import BankKey, ItemVersion, Option

IMAGE_PREFIX = b"EXB1"  # sealed image bytes start with this (no image format does)
_WRAP_AAD = b"bank"
_CHUNK = 500

# single dict reads and writes need no lock: two threads missing at once both open the same value
_cache: dict[tuple[str, bytes], BankCipher] = {}
# points already opened, by (database, version id, option id, sealed bytes): sealed rows never change, and a blob
# moved to another row misses (its ids differ) and fails to open; papers finishing at the deadline skip AES and JSON
_points_seen: dict[tuple[str, int, int, bytes], float] = {}
_POINTS_SEEN_MAX = 500_000


def version_aad(uid: str, version: int) -> bytes:
    """Binds a version's sealed content to its item and version number."""
    return f"bank:version:{uid}@{version}".encode()


def option_aad(version_id: int, option_id: int) -> bytes:
    """Binds an option's sealed text and points to its own row (a key cannot be moved to another option)."""
    return f"bank:option:{version_id}/{option_id}".encode()


def image_aad(sha256: str, mime: str) -> bytes:
    """Binds sealed image bytes to the hash they are served by."""
    return f"bank:image:{sha256}|{mime}".encode()


@dataclass(frozen=True)
class BankCipher:
    """The opened bank key: seals and opens rows, and makes keyed fingerprints (a key derived from it)."""

    key: bytes = field(repr=False)
    fingerprint_key: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fingerprint_key", crypto.derive_key(self.key, "bank-fingerprint"))

    def seal(self, aad: bytes, value: Any) -> bytes:
        """JSON-encode and seal (random nonce)."""
        raw = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return crypto.seal(self.key, raw, aad).to_bytes()

    def open(self, aad: bytes, blob: bytes) -> Any:
        """Open what :meth:`seal` made; TamperedError when the row or the key is not the one sealed."""
        return json.loads(crypto.open_sealed(self.key, crypto.Sealed.from_bytes(bytes(blob)), aad).decode("utf-8"))

    def fingerprint(self, value: str) -> str:
        """Keyed fingerprint for duplicate detection: a stolen database cannot be searched by guessing texts."""
        return crypto.fingerprint(self.fingerprint_key, value.encode("utf-8"))

    def seal_image(self, sha256: str, mime: str, data: bytes) -> bytes:
        """An image's stored bytes: the prefix, then nonce and ciphertext."""
        return IMAGE_PREFIX + crypto.seal(self.key, data, image_aad(sha256, mime)).to_bytes()

    def open_image(self, sha256: str, mime: str, stored: bytes) -> bytes:
        """An image's bytes (stored unsealed before encryption at rest: returned as they are)."""
        stored = bytes(stored)
        if not stored.startswith(IMAGE_PREFIX):
            return stored
        sealed = crypto.Sealed.from_bytes(stored[len(IMAGE_PREFIX) :])
        return crypto.open_sealed(self.key, sealed, image_aad(sha256, mime))


def _create(session: Session) -> None:
    """Insert the bank key row once; a racing creator's row wins (ON CONFLICT DO NOTHING) and is read back."""
    wrapped = crypto.wrap_key(keyring.master_key_for(session), crypto.new_key(), _WRAP_AAD)
    values = {"id": 1, "key_wrapped": wrapped, "created_at": clock.now()}
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(BankKey).values(**values).on_conflict_do_nothing(index_elements=["id"]))
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(BankKey).values(**values).on_conflict_do_nothing(index_elements=["id"]))


def bank_cipher(session: Session, *, create: bool = True) -> BankCipher | None:
    """The bank key of ``session``'s database, opened with its master key (made on first import); None when there
    is none yet and ``create`` is False."""
    wrapped = session.scalar(select(BankKey.key_wrapped).where(BankKey.id == 1))
    if wrapped is None:
        if not create:
            return None
        _create(session)
        wrapped = session.scalar(select(BankKey.key_wrapped).where(BankKey.id == 1))
        assert wrapped is not None
    cache_key = (keyring.session_url(session), bytes(wrapped))
    found = _cache.get(cache_key)
    if found is None:
        found = _cache[cache_key] = BankCipher(
            crypto.unwrap_key(keyring.master_key_for(session), bytes(wrapped), _WRAP_AAD)
        )
    return found


class LazyCipher:
    """The bank key opened only when a sealed row is met (readers of an unsealed bank need no key); a writer that
    holds the key already passes it."""

    def __init__(self, session: Session, cipher: BankCipher | None = None) -> None:
        self._session = session
        self._cipher = cipher

    def get(self) -> BankCipher:
        """The opened bank key (a sealed row exists, so the key does too)."""
        if self._cipher is None:
            self._cipher = bank_cipher(self._session, create=False)
            if self._cipher is None:
                raise crypto.TamperedError("a sealed bank row but no bank key")
        return self._cipher


def rewrap_bank_key(session: Session, old_master: bytes, new_master: bytes) -> bool:
    """Master key rotation: the same bank key wrapped by the new master key (nothing re-encrypted); False: no key."""
    row = session.get(BankKey, 1)
    if row is None:
        return False
    key = crypto.unwrap_key(old_master, bytes(row.key_wrapped), _WRAP_AAD)
    row.key_wrapped = crypto.wrap_key(new_master, key, _WRAP_AAD)
    return True


def open_option(lazy: LazyCipher, version_id: int, option_id: int, sealed: bytes | None) -> dict[str, Any] | None:
    """An option's sealed {text, points, media}, or None for a row written before encryption at rest."""
    if sealed is None:
        return None
    return lazy.get().open(option_aad(version_id, option_id), sealed)


def option_points(session: Session, version_ids: Iterable[int]) -> dict[int, dict[int, float]]:
    """The key of the given versions, {version id: {option id: points}}, opened in memory: scoring only."""
    ids: Sequence[int] = sorted(set(version_ids))
    lazy = LazyCipher(session)
    url = keyring.session_url(session)
    out: dict[int, dict[int, float]] = {}
    for i in range(0, len(ids), _CHUNK):
        q = select(Option.item_version_id, Option.id, Option.points, Option.sealed)
        for vid, oid, pts, sealed in session.execute(q.where(Option.item_version_id.in_(ids[i : i + _CHUNK]))):
            if sealed is None:  # written before sealing: as it is (and not remembered: ``bank encrypt`` may seal it)
                out.setdefault(vid, {})[oid] = float(pts)
                continue
            seen = (url, vid, oid, bytes(sealed))
            value = _points_seen.get(seen)
            if value is None:
                value = float(lazy.get().open(option_aad(vid, oid), sealed)["points"])
                if len(_points_seen) >= _POINTS_SEEN_MAX:
                    _points_seen.clear()
                _points_seen[seen] = value
            out.setdefault(vid, {})[oid] = value
    return out


def score_bounds(session: Session, version_ids: Iterable[int]) -> dict[int, tuple[float | None, float | None]]:
    """The (lower, upper) clamp of each version's score, for versions that have one (QTI mapping bounds): read
    with the key, since scoring needs both and may not import the bank."""
    ids: Sequence[int] = sorted(set(version_ids))
    out: dict[int, tuple[float | None, float | None]] = {}
    for i in range(0, len(ids), _CHUNK):
        q = select(ItemVersion.id, ItemVersion.score_lower, ItemVersion.score_upper).where(
            ItemVersion.id.in_(ids[i : i + _CHUNK]),
            ItemVersion.score_lower.is_not(None) | ItemVersion.score_upper.is_not(None),
        )
        for vid, lower, upper in session.execute(q):
            out[vid] = (lower, upper)
    return out
