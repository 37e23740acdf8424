"""Cryptographic primitives in one place: AES-256-GCM sealing, envelope keys, Ed25519 signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ground.keyfiles import create_once

NONCE_BYTES = 12
KEY_BYTES = 32


class TamperedError(Exception):
    """Sealed data failed its authentication tag: it was changed, or the wrong key or context was used."""


def b64e(data: bytes) -> str:
    """Standard base64 text, as the wire carries keys and ciphertexts."""
    return base64.b64encode(data).decode("ascii")


def b64d(text: str) -> bytes:
    """Strict inverse of :func:`b64e` (invalid characters raise)."""
    return base64.b64decode(text.encode("ascii"), validate=True)


def new_key() -> bytes:
    """A fresh random AES-256 key."""
    return AESGCM.generate_key(bit_length=256)


@dataclass(frozen=True)
class Sealed:
    """AES-GCM output: a random 12-byte nonce and the ciphertext with its 16-byte tag."""

    nonce: bytes
    ciphertext: bytes

    def to_bytes(self) -> bytes:
        """nonce + ciphertext, for storing in one column."""
        return self.nonce + self.ciphertext

    @classmethod
    def from_bytes(cls, blob: bytes) -> Sealed:
        """Split a stored blob back into nonce and ciphertext."""
        if len(blob) < NONCE_BYTES + 16:
            raise TamperedError("sealed blob too short")
        return cls(blob[:NONCE_BYTES], blob[NONCE_BYTES:])


def seal(key: bytes, plaintext: bytes, aad: bytes) -> Sealed:
    """Encrypt with a random nonce; ``aad`` binds the ciphertext to its ids (exam, paper, ...)."""
    nonce = os.urandom(NONCE_BYTES)
    return Sealed(nonce, AESGCM(key).encrypt(nonce, plaintext, aad))


def open_sealed(key: bytes, sealed: Sealed, aad: bytes) -> bytes:
    """Decrypt and authenticate; raises :class:`TamperedError` on any change."""
    try:
        return AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext, aad)
    except InvalidTag as exc:
        raise TamperedError("authentication tag mismatch") from exc


def wrap_key(kek: bytes, key: bytes, aad: bytes) -> bytes:
    """Envelope encryption: seal a data key under a key-encryption key."""
    return seal(kek, key, b"wrap:" + aad).to_bytes()


def unwrap_key(kek: bytes, wrapped: bytes, aad: bytes) -> bytes:
    """Open a key sealed by :func:`wrap_key`; TamperedError on any change or the wrong context."""
    return open_sealed(kek, Sealed.from_bytes(wrapped), b"wrap:" + aad)


def load_master_key(data_dir: Path) -> bytes:
    """The installation master key: ``EXAM_MASTER_KEY`` (base64) or ``DATA_DIR/master.key``, made once."""
    env = os.environ.get("EXAM_MASTER_KEY")
    if env:
        key = b64d(env)
        if len(key) != KEY_BYTES:
            raise ValueError("EXAM_MASTER_KEY must be 32 bytes, base64-encoded")
        return key
    return _key_file(Path(data_dir) / "master.key")


def load_pin_pepper(data_dir: Path) -> bytes:
    """The PIN pepper (``DATA_DIR/pin.pepper``, made once): PIN hashes are keyed with it, so a database alone
    does not yield PINs."""
    return _key_file(Path(data_dir) / "pin.pepper")


def _key_file(path: Path) -> bytes:
    """A 32-byte key kept base64 in ``path``, made once."""
    key = b64d(create_once(path, lambda: b64e(new_key()).encode()).decode().strip())
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} must hold 32 bytes, base64-encoded")
    return key


def derive_key(key: bytes, purpose: str) -> bytes:
    """A separate 32-byte key for ``purpose`` from ``key`` (HKDF-SHA256): one key never serves two uses."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode()).derive(key)


def fingerprint(key: bytes, data: bytes) -> str:
    """Keyed fingerprint (HMAC-SHA256, hex): equal inputs match, yet nobody without the key can test a guess."""
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def load_signing_key(data_dir: Path) -> Ed25519PrivateKey:
    """The installation's Ed25519 key for exports and receipts, made once in the data folder."""
    path = Path(data_dir) / "signing.key"
    pem = create_once(path, lambda: Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ))
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public half as PEM, as the app publishes it for verifying exports and receipts."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    """Read a published Ed25519 public key (PEM)."""
    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def verify_signature(public: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is ``public``'s signature of ``message``."""
    try:
        public.verify(signature, message)
        return True
    except InvalidSignature:
        return False
