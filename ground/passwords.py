"""Hashing of candidate PINs and staff passwords with argon2 (PINs lighter: they are rate-limited online)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

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


def hash_pin(pin: str) -> str:
    """Hash a candidate PIN (cheap argon2 parameters: a whole room logs in at once; attempts are rate-limited)."""
    return _pin.hash(pin)


def verify_pin(stored: str, pin: str) -> bool:
    """True when ``pin`` matches the stored hash."""
    try:
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
