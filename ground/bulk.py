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
