"""One error type for every face: HTTP answers ``{"error": {...}}``, Socket.IO acks ``{"ok": false, ...}``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ground.i18n import _

log = logging.getLogger(__name__)


class AppError(Exception):
    """A failure the caller can act on: a stable machine ``code`` and a translated human ``message``."""

    def __init__(self, code: str, message: str, status: int = 400, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.status = status
        self.details = details

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled whole: a committee job's refusal crosses from its child process (``ground.jobs``) as it was."""
        return (self.__class__, (self.code, self.message, self.status), {"details": self.details})

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


def acked(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a Socket.IO event handler so any failure becomes the one ack error shape: never a crash, never silence."""

    def wrapper(self: Any, *args: Any) -> Any:
        try:
            return handler(self, *args)
        except AppError as err:
            return err.ack()
        except Exception:  # noqa: BLE001
            log.exception("handler %s failed", handler.__name__)
            return AppError("internal", _("Something went wrong on the server. Please try again.")).ack()

    wrapper.__name__ = handler.__name__
    return wrapper
