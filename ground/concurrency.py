"""Keep blocking work off the event loop: SQLite calls run in gevent's native thread pool when serving."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def _gevent_active() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return bool(monkey.is_module_patched("socket"))


def _outcome(context: contextvars.Context, fn: Callable[..., T], args: tuple, kwargs: dict) -> tuple[bool, object]:
    """Run in the native thread; an exception comes back as a value (gevent would log it as a crash)."""
    try:
        return True, context.run(fn, *args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - re-raised in the caller
        return False, exc


def run_blocking(fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Run ``fn`` in a native thread when gevent serves (so fsyncs don't stall other candidates), else inline."""
    if _gevent_active():
        import gevent

        # the caller's context (the request's locale for translated error messages) goes along to the thread
        ok, value = gevent.get_hub().threadpool.apply(_outcome, (contextvars.copy_context(), fn, args, kwargs))
        if not ok:
            raise value  # type: ignore[misc]
        return value  # type: ignore[return-value]
    return fn(*args, **kwargs)
