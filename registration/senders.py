"""Where verification codes go: a pluggable sender (``EXAM_CODE_SENDER``); the log sender serves the demo and tests."""

from __future__ import annotations

import logging
import os
from typing import Protocol

log = logging.getLogger("exam_engine.registration.codes")


class Sender(Protocol):
    """Delivers a short message to an email address or phone number."""

    def send(self, to: str, text: str) -> None: ...


class LogSender:
    """Writes the message to the server log (demo and tests): the address masked, the text as sent."""

    def send(self, to: str, text: str) -> None:
        """Log one message."""
        log.warning("message to %s: %s", mask(to), text)


def mask(to: str) -> str:
    """An address with most of it hidden, for logs (b***@mail.id, 0812****89)."""
    if "@" in to:
        name, _at, domain = to.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"{to[:4]}****{to[-2:]}"


SENDERS: dict[str, type] = {"log": LogSender}


def sender() -> Sender:
    """The installation's sender (``EXAM_CODE_SENDER``, default ``log``); an SMS or mail gateway registers here."""
    name = os.environ.get("EXAM_CODE_SENDER", "log")
    if name not in SENDERS:
        raise RuntimeError(f"EXAM_CODE_SENDER={name!r} is not one of {sorted(SENDERS)}")
    return SENDERS[name]()  # type: ignore[no-any-return]
