"""Whole-exam jobs: they build millions of small objects that all live on (pause the cyclic collector while they
do), and read millions of integer rows (as arrays, not tuples)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import numpy as np
from sqlalchemy import Select
from sqlalchemy.orm import Session

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


def int_columns(session: Session, stmt: Select[Any], width: int) -> np.ndarray:
    """A query's rows of ``width`` non-NULL 32-bit integer columns as an (n, width) int64 array, without a Python
    object per value where the driver allows: PostgreSQL sends them by binary COPY (a whole exam's 10 million
    answer rows in one pass), SQLite by fetchmany."""
    conn = session.connection()
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    raw = conn.connection.dbapi_connection
    if conn.dialect.name != "postgresql":
        cur = raw.cursor()  # type: ignore[union-attr]
        cur.execute(sql)
        parts = [np.asarray(batch, dtype=np.int64).reshape(-1, width)
                 for batch in iter(lambda: cur.fetchmany(500_000), [])]
        return np.concatenate(parts) if parts else np.zeros((0, width), dtype=np.int64)
    chunks: list[bytes] = []
    with raw.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)") as copy:  # type: ignore[union-attr]
        for data in copy:
            chunks.append(bytes(data))
    buf = b"".join(chunks)
    head = 19  # PGCOPY signature (11), flags (4), header extension length (4): no extension is ever sent
    if buf[:11] != b"PGCOPY\n\xff\r\n\x00" or buf[15:19] != b"\x00\x00\x00\x00" or buf[-2:] != b"\xff\xff":
        raise ValueError("unexpected binary COPY framing")
    row = np.dtype([("count", ">i2")] + [(f"f{i}", [("len", ">i4"), ("val", ">i4")]) for i in range(width)])
    body = np.frombuffer(buf, dtype=row, offset=head, count=(len(buf) - head - 2) // row.itemsize)
    if body.size * row.itemsize != len(buf) - head - 2 or (body["count"] != width).any() or any(
        (body[f"f{i}"]["len"] != 4).any() for i in range(width)
    ):  # a NULL or a wider value would shift every later row: refuse rather than misread
        raise ValueError(f"binary COPY rows are not {width} non-NULL int4 values")
    out = np.empty((body.size, width), dtype=np.int64)
    for i in range(width):
        out[:, i] = body[f"f{i}"]["val"]
    return out
