"""Whole-exam jobs build millions of small objects that all live on: pause the cyclic collector while they do."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_lock = threading.Lock()
_depth = 0
_was_enabled = True


@contextmanager
def gc_paused() -> Iterator[None]:
    """No generational collection inside (nested and concurrent uses count); the collector's state is restored
    by the last one out. Python rescans every young survivor as it builds them: loading 100,000 papers' layouts
    spent half its time there."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def gc_paused_call(fn: Callable[P, T]) -> Callable[P, T]:
    """A function that runs with :func:`gc_paused` (for the whole-exam jobs)."""

    @wraps(fn)
    def inner(*args: P.args, **kwargs: P.kwargs) -> T:
        with gc_paused():
            return fn(*args, **kwargs)

    return inner
