"""The one clock: everything that needs "now" asks here, so tests can freeze and move time exactly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def _system_now() -> datetime:
    return datetime.now(UTC)


_lock = threading.Lock()
_source: Callable[[], datetime] = _system_now
_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """Current time, timezone-aware UTC (frozen or shifted when a test says so)."""
    if _frozen is not None:
        return _frozen
    return _source() + _offset


def monotonic() -> float:
    """Seconds that only ever move forward, untouched by freeze/advance: for intervals such as heartbeats."""
    return time.monotonic()


def freeze(at: datetime | None = None) -> datetime:
    """Stop time at ``at`` (default: the current time) until :func:`unfreeze`."""
    global _frozen
    with _lock:
        _frozen = _aware(at) if at is not None else now()
        return _frozen


def unfreeze() -> None:
    """Let time run again from the frozen instant's offset to real time."""
    global _frozen
    with _lock:
        _frozen = None


def advance(delta: timedelta | float) -> datetime:
    """Move time forward by ``delta`` (seconds or timedelta), frozen or not."""
    global _frozen, _offset
    if not isinstance(delta, timedelta):
        delta = timedelta(seconds=float(delta))
    with _lock:
        if _frozen is not None:
            _frozen = _frozen + delta
        else:
            _offset = _offset + delta
    return now()


def reset() -> None:
    """Back to the system clock with no offset."""
    global _frozen, _offset, _source
    with _lock:
        _frozen, _offset, _source = None, timedelta(0), _system_now


def set_source(source: Callable[[], datetime]) -> None:
    """Inject another time source (a function returning aware datetimes)."""
    global _source
    with _lock:
        _source = source


def snapshot() -> tuple[datetime | None, timedelta]:
    """This process's frozen instant and offset, so a child process (a committee job) keeps the same time."""
    with _lock:
        return _frozen, _offset


def restore(state: tuple[datetime | None, timedelta]) -> None:
    """Take on a :func:`snapshot` made in another process."""
    global _frozen, _offset
    with _lock:
        _frozen, _offset = state


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def isoformat(dt: datetime) -> str:
    """ISO-8601 UTC with millisecond precision and a trailing Z, as the wire uses."""
    return _aware(dt).strftime("%Y-%m-%dT%H:%M:%S.") + f"{_aware(dt).microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """Inverse of :func:`isoformat` (accepts any ISO-8601 with offset or Z)."""
    return _aware(datetime.fromisoformat(text.replace("Z", "+00:00")))
