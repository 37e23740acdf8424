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


def run_blocking(fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Run ``fn`` in a native thread when gevent serves (so fsyncs don't stall other candidates), else inline."""
    if _gevent_active():
        import gevent

        # the caller's context (the request's locale for translated error messages) goes along to the thread
        return gevent.get_hub().threadpool.apply(contextvars.copy_context().run, (fn, *args), kwargs)
    return fn(*args, **kwargs)
