"""Detached Ed25519 signatures for exported files, so anyone holding the public key can prove an export.

``FILE.sig`` is a small JSON document: the file's SHA-256 and size, the signer's key id, the time,
and an Ed25519 signature over the canonical JSON of those fields. Verification says exactly which
check failed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ground import clock
from ground.config import write_private
from ground.crypto import b64d, b64e, verify_signature
from scoring.receipts import canonical_json

SIG_SUFFIX = ".sig"
SIG_FORMAT = "exam-engine-signature/1"


class SignatureError(Exception):
    """Verification failed; the message says exactly why."""


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 over the raw public key: short enough to read aloud."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sig_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + SIG_SUFFIX)


def _digest(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def sign_file(path: str | Path, key: Ed25519PrivateKey) -> Path:
    """Write ``path.sig`` beside ``path`` and return its location."""
    path = Path(path)
    sha, size = _digest(path)
    claims = {
        "format": SIG_FORMAT,
        "alg": "Ed25519",
        "file": path.name,
        "sha256": sha,
        "size": size,
        "key_id": key_id(key),
        "signed_at": clock.now().isoformat(timespec="seconds"),
    }
    doc = {**claims, "signature": b64e(key.sign(canonical_json(claims)))}
    out = sig_path(path)
    write_private(out, (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return out


@dataclass(frozen=True)
class Verified:
    """A valid signature's facts, for the confirmation message."""

    file: Path
    sha256: str
    key_id: str
    signed_at: str


def verify_file(path: str | Path, public: Ed25519PublicKey, signature: str | Path | None = None) -> Verified:
    """Check ``path`` against its detached signature; :class:`SignatureError` says which check failed."""
    path = Path(path)
    sig = Path(signature) if signature is not None else sig_path(path)
    if not path.is_file():
        raise SignatureError(f"{path}: no such file")
    if not sig.is_file():
        raise SignatureError(f"{sig}: signature file not found (expected beside the file as {sig.name})")
    try:
        doc: Any = json.loads(sig.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SignatureError(f"{sig}: not a signature file (not JSON: {exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != SIG_FORMAT:
        raise SignatureError(f"{sig}: not an exam-engine signature file (format {SIG_FORMAT} expected)")
    missing = [k for k in ("alg", "sha256", "size", "key_id", "signed_at", "signature") if k not in doc]
    if missing:
        raise SignatureError(f"{sig}: signature file lacks {', '.join(missing)}")
    if doc["alg"] != "Ed25519":
        raise SignatureError(f"{sig}: unsupported algorithm {doc['alg']!r}")
    claims = {k: v for k, v in doc.items() if k != "signature"}
    try:
        raw_sig = b64d(str(doc["signature"]))
    except ValueError as exc:
        raise SignatureError(f"{sig}: the signature is not base64") from exc
    if doc["key_id"] != key_id(public):
        raise SignatureError(
            f"signed by another key (key id {doc['key_id']}; the public key given has id {key_id(public)})"
        )
    if not verify_signature(public, raw_sig, canonical_json(claims)):
        raise SignatureError(f"{sig}: the signature does not match its own fields: the .sig file was altered")
    sha, size = _digest(path)
    if size != doc["size"]:
        raise SignatureError(f"{path}: the file changed: {size} bytes now, {doc['size']} bytes when signed")
    if sha != doc["sha256"]:
        raise SignatureError(f"{path}: the file changed: SHA-256 {sha} now, {doc['sha256']} when signed")
    return Verified(path, sha, doc["key_id"], str(doc["signed_at"]))
