"""Hashing of candidate PINs and staff passwords with argon2 (PINs lighter: they are rate-limited online)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ground.crypto import fingerprint

_staff = PasswordHasher()  # argon2id library defaults
_pin = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)  # ~ms: a room logs in at once


def hash_password(password: str) -> str:
    """Hash a staff password for storage (argon2id, library defaults)."""
    return _staff.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """True when ``password`` matches; a malformed stored hash is a plain mismatch, never a crash."""
    try:
        return _staff.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


PEPPERED = "pep1$"  # tags a PIN hash keyed with the data folder's pepper; untagged hashes are the older format


def _peppered(pin: str, pepper: bytes) -> str:
    """HMAC-SHA256(pepper, PIN): without the pepper, 10^6 guesses at the argon2 hash find nothing."""
    return fingerprint(pepper, pin.encode("utf-8"))


def hash_pin(pin: str, pepper: bytes) -> str:
    """Hash a candidate PIN keyed with the pepper (cheap argon2 parameters: a whole room logs in at once)."""
    return PEPPERED + _pin.hash(_peppered(pin, pepper))


def verify_pin(stored: str, pin: str, *, pepper: bytes) -> bool:
    """True when ``pin`` matches the stored hash (peppered, or the older unpeppered format)."""
    try:
        if stored.startswith(PEPPERED):
            return _pin.verify(stored[len(PEPPERED) :], _peppered(pin, pepper))
        return _pin.verify(stored, pin)
    except (VerificationError, InvalidHashError):
        return False


def new_pin(digits: int = 6) -> str:
    """A random numeric PIN for a login card."""
    return "".join(secrets.choice("0123456789") for _ in range(digits))


def new_room_token(length: int = 6) -> str:
    """A room token read aloud by the proctor: upper-case letters without look-alikes (no I, O)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(length))
