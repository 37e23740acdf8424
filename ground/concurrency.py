"""Keep blocking work off the event loop: SQLite calls run in gevent's native thread pool when serving."""

from __future__ import annotations

import contextvars
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from gevent.threadpool import ThreadPool

T = TypeVar("T")

# the heartbeat's own: behind thousands of logins queued for gevent's shared pool it came late, and its process was
# taken for stopped (the shared pool stays at gevent's 10 threads: with 30, at 10,000 candidates, the median ack went
# from 1.7 s to 10.4 s, as threads and the event loop share one GIL, and logins waited out the Redis pool)
URGENT_THREADS = 2


def gevent_active() -> bool:
    """True in a serving process (gevent's monkey patching is on): blocking work must leave the event loop."""
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


_urgent: weakref.WeakKeyDictionary[Any, ThreadPool] = weakref.WeakKeyDictionary()  # a hub → its urgent pool


def _pool(urgent: bool) -> ThreadPool:
    """The hub's shared pool, or (``urgent``) the small one kept beside it for work that must not queue."""
    import gevent

    hub = gevent.get_hub()
    if not urgent:
        return hub.threadpool
    pool = _urgent.get(hub)
    if pool is None:
        from gevent.threadpool import ThreadPool

        pool = _urgent[hub] = ThreadPool(URGENT_THREADS, hub=hub)
    return pool


def run_blocking(fn: Callable[..., T], *args: object, urgent: bool = False, **kwargs: object) -> T:
    """Run ``fn`` in a native thread when gevent serves (so fsyncs don't stall other candidates), else inline.

    ``urgent``: in a pool of its own (the heartbeat), not behind a room's logins queued for the shared one."""
    if gevent_active():
        # the caller's context (the request's locale for translated error messages) goes along to the thread
        ok, value = _pool(urgent).apply(_outcome, (contextvars.copy_context(), fn, args, kwargs))
        if not ok:
            raise value  # type: ignore[misc]
        return value  # type: ignore[return-value]
    return fn(*args, **kwargs)
