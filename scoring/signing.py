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
from ground.i18n import _
from scoring.receipts import canonical_json

SIG_SUFFIX = ".sig"
SIG_FORMAT = "exam-engine-signature/1"


class SignatureError(Exception):
    """Verification failed; the message says exactly why, in the reader's language (the request's, else the
    installation's)."""


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
        raise SignatureError(_("%(path)s: no such file", path=path))
    if not sig.is_file():
        raise SignatureError(_("%(sig)s: signature file not found (expected beside the file as %(name)s)", sig=sig,
                                name=sig.name))
    try:
        doc: Any = json.loads(sig.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SignatureError(_("%(sig)s: not a signature file (not JSON: %(why)s)", sig=sig, why=exc)) from exc
    if not isinstance(doc, dict) or doc.get("format") != SIG_FORMAT:
        raise SignatureError(_("%(sig)s: not an exam-engine signature file (format %(format)s expected)", sig=sig,
                                format=SIG_FORMAT))
    missing = [k for k in ("alg", "sha256", "size", "key_id", "signed_at", "signature") if k not in doc]
    if missing:
        raise SignatureError(_("%(sig)s: signature file lacks %(fields)s", sig=sig, fields=", ".join(missing)))
    if doc["alg"] != "Ed25519":
        raise SignatureError(_("%(sig)s: unsupported algorithm %(alg)r", sig=sig, alg=doc["alg"]))
    claims = {k: v for k, v in doc.items() if k != "signature"}
    try:
        raw_sig = b64d(str(doc["signature"]))
    except ValueError as exc:
        raise SignatureError(_("%(sig)s: the signature is not base64", sig=sig)) from exc
    if doc["key_id"] != key_id(public):
        raise SignatureError(_("signed by another key (key id %(theirs)s; the public key given has id %(ours)s)",
                               theirs=doc["key_id"], ours=key_id(public)))
    if not verify_signature(public, raw_sig, canonical_json(claims)):
        raise SignatureError(_("%(sig)s: the signature does not match its own fields: the .sig file was altered",
                                sig=sig))
    sha, size = _digest(path)
    if size != doc["size"]:
        raise SignatureError(_("%(path)s: the file changed: %(now)s bytes now, %(then)s bytes when signed", path=path,
                                now=size, then=doc["size"]))
    if sha != doc["sha256"]:
        raise SignatureError(_("%(path)s: the file changed: SHA-256 %(now)s now, %(then)s when signed", path=path,
                                now=sha, then=doc["sha256"]))
    return Verified(path, sha, doc["key_id"], str(doc["signed_at"]))
