"""Submission receipts: a signed digest of a candidate's final answers and score they can later prove."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Collection, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ground.crypto import verify_signature

RECEIPT_VERSION = 1


class ReceiptError(Exception):
    """A receipt that is malformed or whose signature does not verify; the message says which, ``kind`` in one word."""

    def __init__(self, message: str, kind: str = "malformed") -> None:
        super().__init__(message)
        self.kind = kind  # "malformed" | "signature" | "version": what a page translates for its reader


def canonical_json(data: Any) -> bytes:
    """The one byte form of JSON that gets hashed and signed (sorted keys, no spaces, UTF-8)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


Answer = str | list[str] | None  # an answer as hashed: an option id, a chosen set's sorted ids, or None (blank)


def canonical_answer(option_id: int | None, option_ids: Collection[int] | None) -> Answer:
    """The one form a stored answer is hashed in: a single option's id as text (as receipts always had), a set's ids
    as text in numeric order, a blank (no option, an empty set) None."""
    if option_id is not None:
        return str(option_id)
    return [str(o) for o in sorted(set(option_ids))] if option_ids else None


def answers_digest(answers: Mapping[str, Answer]) -> str:
    """SHA-256 over the final answers {question id: canonical answer}, order-independent."""
    return hashlib.sha256(canonical_json({str(k): v for k, v in answers.items()})).hexdigest()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_receipt(key: Ed25519PrivateKey, claims: Mapping[str, Any]) -> str:
    """``<payload>.<signature>``, both base64url; the payload is the canonical JSON of ``claims``."""
    payload = canonical_json({"v": RECEIPT_VERSION, **claims})
    return f"{_b64url(payload)}.{_b64url(key.sign(payload))}"


def verify_receipt(public: Ed25519PublicKey, receipt: str) -> dict[str, Any]:
    """The receipt's claims when its signature is valid; :class:`ReceiptError` saying why otherwise."""
    parts = receipt.strip().split(".")
    if len(parts) != 2 or not all(parts):
        raise ReceiptError("a receipt has two base64url parts separated by one dot")
    try:
        payload, signature = _unb64url(parts[0]), _unb64url(parts[1])
    except ValueError as exc:
        raise ReceiptError(f"not base64url: {exc}") from exc
    if not verify_signature(public, signature, payload):
        raise ReceiptError("signature does not match: the receipt was changed or signed by another key", "signature")
    try:
        claims = json.loads(payload)
    except ValueError as exc:
        raise ReceiptError("payload is not JSON") from exc
    if not isinstance(claims, dict) or claims.get("v") != RECEIPT_VERSION:
        raise ReceiptError("unknown receipt version", "version")
    return claims
