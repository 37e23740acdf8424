"""One error type for every face: HTTP answers ``{"error": {...}}``, Socket.IO acks ``{"ok": false, ...}``."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """A failure the caller can act on: a stable machine ``code`` and a translated human ``message``."""

    def __init__(self, code: str, message: str, status: int = 400, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.status = status
        self.details = details

    def body(self) -> dict[str, Any]:
        """The HTTP error body."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"error": error}

    def ack(self) -> dict[str, Any]:
        """The Socket.IO ack for this failure."""
        return {"ok": False, **self.body()}


def error_body(code: str, message: str) -> dict[str, Any]:
    """The HTTP error shape for failures that are not AppErrors (404, 413, 500)."""
    return {"error": {"code": code, "message": str(message)}}
