"""Whole-exam jobs: they build millions of small objects that all live on (pause the cyclic collector while they
do), and read millions of integer rows (as arrays, not tuples)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import numpy as np
from sqlalchemy import Select, Table, text
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
    """A query's rows of ``width`` non-NULL 32-bit integer columns as an (n, width) int64 array, grouped by the
    first column (no order within), without a Python object per value where the backend allows: PostgreSQL packs
    each group's other columns into one bytea (a whole exam's 10 million answer rows arrive as 100,000 rows; COPY
    would still hand them over one message per row), SQLite goes by fetchmany."""
    conn = session.connection()
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name != "postgresql":
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cur.execute(sql)
        parts = [np.asarray(batch, dtype=np.int64).reshape(-1, width)
                 for batch in iter(lambda: cur.fetchmany(500_000), [])]
        return np.concatenate(parts) if parts else np.zeros((0, width), dtype=np.int64)
    cols = [f"c{i}" for i in range(width)]
    packed = " || ".join(f"int4send(s.{c})" for c in cols[1:])
    rows = conn.exec_driver_sql(
        f"SELECT s.c0, count(*), string_agg({packed}, ''::bytea) FROM ({sql}) AS s({', '.join(cols)}) GROUP BY s.c0"
    ).all()
    keys = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    counts = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    blob = b"".join(r[2] for r in rows)
    if len(blob) != int(counts.sum()) * 4 * (width - 1):  # string_agg skips a NULL: refuse rather than lose a row
        raise ValueError(f"rows of {width} non-NULL int4 values expected")
    out = np.empty((len(blob) // (4 * (width - 1)), width), dtype=np.int64)
    out[:, 0] = np.repeat(keys, counts)
    out[:, 1:] = np.frombuffer(blob, dtype=">i4").reshape(-1, width - 1)
    return out


TABLE_SLACK = 65_536  # ids spanning at most this many more cells than there are values go by a table, not a sort


def _table_span(*arrays: np.ndarray) -> tuple[int, int] | None:
    """(lowest id, cells) when the ids of ``arrays`` span few enough cells for a lookup table, else None."""
    if not all(a.size for a in arrays):
        return None
    lo = min(int(a.min()) for a in arrays)
    cells = max(int(a.max()) for a in arrays) - lo + 1
    return (lo, cells) if cells <= 4 * sum(a.size for a in arrays) + TABLE_SLACK else None


def distinct_ids(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(values, return_index=True, return_counts=True)`` for a whole exam's ids: the ids of one bank span
    a few thousand numbers, so a pass over a table replaces the sort (11 million question ids: 1.8 s sorted)."""
    v = np.asarray(values, dtype=np.int64).ravel()
    span = _table_span(v)
    if span is None:
        return np.unique(v, return_index=True, return_counts=True)  # type: ignore[return-value]
    lo, cells = span
    off = v - lo
    counts = np.bincount(off, minlength=cells)
    first = np.full(cells, v.size, dtype=np.int64)
    np.minimum.at(first, off, np.arange(v.size, dtype=np.int64))
    ids = np.flatnonzero(counts)
    return ids + lo, first[ids], counts[ids]


def id_positions(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each of ``values``' position in ``keys`` (distinct ids, any order), -1 where it is not one of them: a table
    over the ids' span where it is small, a binary search otherwise."""
    k = np.asarray(keys, dtype=np.int64).ravel()
    v = np.asarray(values, dtype=np.int64)
    span = _table_span(k, v)
    if span is not None:
        lo, cells = span
        table = np.full(cells, -1, dtype=np.int64)
        table[k - lo] = np.arange(k.size, dtype=np.int64)
        return table[v - lo]
    if not k.size:
        return np.full(v.shape, -1, dtype=np.int64)
    order = np.argsort(k, kind="stable")
    pos = np.minimum(np.searchsorted(k[order], v), k.size - 1)
    return np.where(k[order][pos] == v, order[pos], -1)


def copy_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows (dicts with the same keys) into ``table``, each value bound as SQLAlchemy binds it (JSON, UTC times):
    PostgreSQL takes them by COPY, one stream instead of a statement per thousand rows; other backends by
    executemany."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        session.execute(table.insert(), list(rows))
        return
    names = list(rows[0])
    procs = [table.c[n].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for n in names]
    quote = conn.dialect.identifier_preparer.quote
    sql = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    with conn.connection.dbapi_connection.cursor() as cur, cur.copy(sql) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([row[n] if p is None else p(row[n]) for n, p in zip(names, procs, strict=True)])


def reserve_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys of ``table`` taken from its sequence (PostgreSQL), so rows written by
    :func:`copy_rows` can be referred to without reading them back."""
    name = session.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}).scalar_one()
    return list(session.execute(text("SELECT nextval(:s) FROM generate_series(1, :n)"),
                                {"s": name, "n": count}).scalars())
