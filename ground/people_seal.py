"""Personal data sealed at rest like the bank: one people data key, wrapped by the master key, seals every personal
field and uploaded file of the registration portal; keyed fingerprints (a key derived from it) find a NIK or a login
without revealing it. Here, in ground beside bank_seal, because the master key rotation (``bank rotate-key``, in a
library) must re-wrap this key too."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ground import clock, crypto, keyring
from ground.models.registration import PeopleKey

_WRAP_AAD = b"people"
_cache: dict[tuple[str, bytes], PeopleCipher] = {}


def person_aad(nik_fp: str) -> bytes:
    """Binds a person's sealed fields to their row (found by the NIK's fingerprint)."""
    return f"people:person:{nik_fp}".encode()


def login_aad(login_fp: str) -> bytes:
    """Binds an account's sealed login to its row."""
    return f"people:login:{login_fp}".encode()


def card_aad(application_id: int) -> bytes:
    """Binds an exam card's sealed participant number and PIN to its application."""
    return f"people:card:{application_id}".encode()


def objection_aad(application_id: int) -> bytes:
    """Binds an objection's sealed text and answer to its application."""
    return f"people:objection:{application_id}".encode()


def exam_objection_aad(exam_id: int, candidate_id: int) -> bytes:
    """Binds an exam objection's sealed reason and answer to its exam and candidate."""
    return f"people:exam-objection:{exam_id}:{candidate_id}".encode()


def file_aad(sha256: str, mime: str) -> bytes:
    """Binds an uploaded file's sealed bytes to the hash and type it is stored by."""
    return f"people:file:{sha256}|{mime}".encode()


@dataclass(frozen=True)
class PeopleCipher:
    """The opened people key: seals and opens fields and files, and makes keyed fingerprints."""

    key: bytes = field(repr=False)
    fingerprint_key: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fingerprint_key", crypto.derive_key(self.key, "people-fingerprint"))

    def seal(self, aad: bytes, value: Any) -> bytes:
        """JSON-encode and seal (random nonce)."""
        raw = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return crypto.seal(self.key, raw, aad).to_bytes()

    def open(self, aad: bytes, blob: bytes) -> Any:
        """Open what :meth:`seal` made; TamperedError when the row or the key is not the one sealed."""
        return json.loads(crypto.open_sealed(self.key, crypto.Sealed.from_bytes(bytes(blob)), aad).decode("utf-8"))

    def seal_bytes(self, aad: bytes, data: bytes) -> bytes:
        """Seal raw bytes (an uploaded file)."""
        return crypto.seal(self.key, data, aad).to_bytes()

    def open_bytes(self, aad: bytes, blob: bytes) -> bytes:
        """Open what :meth:`seal_bytes` made."""
        return crypto.open_sealed(self.key, crypto.Sealed.from_bytes(bytes(blob)), aad)

    def fingerprint(self, kind: str, value: str) -> str:
        """Keyed fingerprint of ``kind:value``: equal values match, a stolen database cannot test a guess."""
        return crypto.fingerprint(self.fingerprint_key, f"{kind}:{value}".encode())


def people_cipher(session: Session) -> PeopleCipher:
    """The people key of ``session``'s database, opened with its master key (made on first use)."""
    wrapped = session.scalar(select(PeopleKey.key_wrapped).where(PeopleKey.id == 1))
    if wrapped is None:
        values = {"id": 1, "key_wrapped": crypto.wrap_key(keyring.master_key_for(session), crypto.new_key(), _WRAP_AAD),
                  "created_at": clock.now()}
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(PeopleKey).values(**values).on_conflict_do_nothing(index_elements=["id"]))
        wrapped = session.scalar(select(PeopleKey.key_wrapped).where(PeopleKey.id == 1))
        assert wrapped is not None
    cache_key = (keyring.session_url(session), bytes(wrapped))
    found = _cache.get(cache_key)
    if found is None:
        found = _cache[cache_key] = PeopleCipher(
            crypto.unwrap_key(keyring.master_key_for(session), bytes(wrapped), _WRAP_AAD)
        )
    return found


def rewrap_people_key(session: Session, old_master: bytes, new_master: bytes) -> bool:
    """Master key rotation: the same people key wrapped by the new master key; False when there is none yet."""
    row = session.get(PeopleKey, 1)
    if row is None:
        return False
    row.key_wrapped = crypto.wrap_key(new_master, crypto.unwrap_key(old_master, bytes(row.key_wrapped), _WRAP_AAD),
                                      _WRAP_AAD)
    return True
