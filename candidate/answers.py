"""The answer hot path: validated writes are group-committed (one transaction, then every ack) per batch."""

from __future__ import annotations

import functools
import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from ground import clock, db
from ground.concurrency import run_blocking
from ground.errors import AppError
from ground.i18n import _
from ground.models import Answer, Paper
from ground.runtime import Runtime

log = logging.getLogger(__name__)
WRITER = "answer_writer"  # its name in Runtime.services


@dataclass(frozen=True)
class Write:
    """One queued write: an answer (``option``, or ``options`` on a multiple-response question) or a flag change
    (``flagged``), each with its seq; or a barrier."""

    kind: str  # "answer" | "flag" | "barrier"
    paper_id: int = 0
    question: int = 0
    option: int | None = None
    seq: int = 0
    flagged: bool = False
    options: tuple[int, ...] | None = None  # a set of option ids, sorted (empty: clears); None: a single answer


@dataclass
class _Stored:
    """What one question of one paper holds, as the batch goes (starts from the database row, if any)."""

    option: int | None = None
    seq: int = 0
    flagged: bool = False
    flag_seq: int = 0
    options: tuple[int, ...] = ()  # a multiple-response question's chosen set, sorted


def _refusal(state: Any, now: datetime) -> AppError | None:
    """Why a paper takes no writes now (``None``: it does)."""
    if state is None:
        return AppError("unknown_paper", _("This paper does not exist."), 404)
    if state.locked:
        return AppError("locked", _("Your exam is locked by the proctor."), 403)
    if state.state == "finished" or (state.state == "started" and state.deadline is not None and state.deadline <= now):
        return AppError("time_up", _("Time is up: answers can no longer be changed."), 409)
    if state.state == "paused":
        return AppError("paused", _("The exam is paused. Please wait for the proctor."), 409)
    if state.state != "started":
        return AppError("not_started", _("The exam has not started yet."), 409)
    return None


@functools.cache
def _upsert(dialect: str) -> Any:
    """One row per question with its final state; the WHERE keeps a row from ever going back in sequence (built
    once per dialect: a statement is immutable, and building it cost more than a small batch's own work)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Answer.__table__
    ins = insert(table)
    return ins.on_conflict_do_update(
        index_elements=[table.c.paper_id, table.c.item_version_id],
        set_={
            "option_id": ins.excluded.option_id, "option_ids": ins.excluded.option_ids, "seq": ins.excluded.seq,
            "flagged": ins.excluded.flagged,
            "flag_seq": ins.excluded.flag_seq, "saved_at": ins.excluded.saved_at,
        },
        where=(table.c.seq <= ins.excluded.seq) & (table.c.flag_seq <= ins.excluded.flag_seq),
    )


def _lock_papers(conn: Connection, ids: set[int]) -> dict[int, Any]:
    """Take the papers' write lock, then read their state: nothing can finish them until this commits."""
    query = select(Paper.id, Paper.state, Paper.deadline, Paper.locked).where(Paper.id.in_(ids)).order_by(Paper.id)
    if conn.dialect.name == "sqlite":
        # pysqlite's deferred BEGIN would leave this SELECT outside the write's transaction: begin with the lock
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        query = query.with_for_update()
    return {r.id: r for r in conn.execute(query)}


def _stored(conn: Connection, keys: set[tuple[int, int]]) -> dict[tuple[int, int], _Stored]:
    """The rows the batch touches, read under the papers' lock."""
    rows = conn.execute(
        select(
            Answer.paper_id, Answer.item_version_id, Answer.option_id, Answer.seq, Answer.flagged, Answer.flag_seq,
            Answer.option_ids,
        ).where(tuple_(Answer.paper_id, Answer.item_version_id).in_(list(keys)))
    )
    return {
        (r.paper_id, r.item_version_id): _Stored(r.option_id, r.seq, r.flagged, r.flag_seq, tuple(r.option_ids or ()))
        for r in rows
    }


def _apply(w: Write, cur: _Stored) -> tuple[dict[str, Any], bool]:
    """Apply one write in arrival order: its ack (in bank ids; the face shows labels) and whether the row changed."""
    stored: Any
    if w.kind == "answer" and w.options is not None:  # a set: the whole set is the answer, applied or not at once
        held, name, shown, stored = cur.seq, "options", list(w.options), list(cur.options)
    elif w.kind == "answer":
        held, name, shown, stored = cur.seq, "option", w.option, cur.option
    else:
        held, name, shown, stored = cur.flag_seq, "flagged", w.flagged, cur.flagged
    if w.seq > held:
        if w.kind == "answer":
            cur.option, cur.options, cur.seq = w.option, w.options or (), w.seq
        else:
            cur.flagged, cur.flag_seq = w.flagged, w.seq
        return {"ok": True, "applied": True, "seq": w.seq, name: shown}, True
    if w.seq == held and shown == stored:  # a resend of the write already applied (a reconnect, a replayed queue)
        return {"ok": True, "applied": True, "seq": w.seq, name: shown, "duplicate": True}, False
    return {"ok": True, "applied": False, "reason": "stale", "seq": held, name: stored}, False


def _is_transient(exc: OperationalError) -> bool:
    """A deadlock, a serialisation failure or a busy SQLite: the whole batch can simply run again."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in ("40P01", "40001") or "database is locked" in str(exc.orig)


def commit_batch(db_url: str, batch: list[Write], attempts: int = 3) -> list[dict[str, Any] | AppError]:
    """Apply a batch in ONE transaction; returns, per write, its ack body or the AppError refusing it."""
    for attempt in range(attempts):
        try:
            return _commit_batch(db_url, batch)
        except OperationalError as exc:
            if attempt == attempts - 1 or not _is_transient(exc):
                raise
            log.warning("answer batch retried after %s", exc.orig)
    raise AssertionError("unreachable")


def _commit_batch(db_url: str, batch: list[Write]) -> list[dict[str, Any] | AppError]:
    """Lock the papers, decide every write in arrival order against what is stored, write each row once."""
    writes = [(i, w) for i, w in enumerate(batch) if w.kind != "barrier"]
    outcomes: list[dict[str, Any] | AppError] = [{"ok": True}] * len(batch)
    if not writes:
        return outcomes
    engine = db.get_engine(db_url)
    with engine.begin() as conn:
        # SQLite: the commit writes the log without an fsync of its own and the batch waits for a shared one
        # below, so the write lock is free for others while the disk syncs; the acks still wait for the disk
        wal = db.relax_for_group(conn)
        outcomes = _decide_and_write(conn, engine.dialect.name, writes, outcomes)
    db.wait_durable(wal)
    return outcomes


def _decide_and_write(
    conn: Connection, dialect: str, writes: list[tuple[int, Write]], outcomes: list[dict[str, Any] | AppError]
) -> list[dict[str, Any] | AppError]:
    """In the open transaction: lock the papers, read their rows, apply the writes in order, upsert once."""
    states = _lock_papers(conn, {w.paper_id for _i, w in writes})
    now = clock.now()  # read under the lock: a paper finished after this write has finished_at >= saved_at
    open_keys: set[tuple[int, int]] = set()
    for i, w in writes:
        refusal = _refusal(states.get(w.paper_id), now)
        if refusal is not None:
            outcomes[i] = refusal
        else:
            open_keys.add((w.paper_id, w.question))
    current = _stored(conn, open_keys) if open_keys else {}
    changed: set[tuple[int, int]] = set()
    for i, w in writes:
        if isinstance(outcomes[i], AppError):
            continue
        key = (w.paper_id, w.question)
        outcomes[i], did = _apply(w, current.setdefault(key, _Stored()))
        if did:
            changed.add(key)
    if changed:
        rows = [
            {
                "paper_id": p, "item_version_id": q, "option_id": current[(p, q)].option,
                "option_ids": list(current[(p, q)].options) or None,
                "seq": current[(p, q)].seq, "flagged": current[(p, q)].flagged,
                "flag_seq": current[(p, q)].flag_seq, "saved_at": now,
            }
            for p, q in sorted(changed)
        ]
        conn.execute(_upsert(dialect), rows)
    return outcomes


class AnswerWriter:
    """One writer per process: callers queue writes and wait; the writer commits whatever has queued at once."""

    def __init__(self, db_url: str, max_batch: int = 2000) -> None:
        self.db_url = db_url
        self.max_batch = max_batch
        self._pending: list[tuple[Write, Future]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.batches = 0
        self.writes = 0

    def _ensure_running(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="answer-writer", daemon=True)
            self._thread.start()

    def submit(self, write: Write, timeout: float = 60.0) -> dict[str, Any] | AppError:
        """Queue ``write`` and wait until it is durably committed (or refused)."""
        future: Future = Future()
        with self._lock:
            self._pending.append((write, future))
            self._ensure_running()
        self._wake.set()
        return future.result(timeout=timeout)

    def barrier(self) -> None:
        """Return once every write queued before this call is committed (before finishing a paper)."""
        self.submit(Write("barrier"))

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            while True:
                with self._lock:
                    batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
                if not batch:
                    break
                try:
                    outcomes = run_blocking(commit_batch, self.db_url, [w for w, _ in batch])
                except Exception:  # noqa: BLE001 - every waiting candidate must get an answer
                    log.exception("answer batch of %d failed", len(batch))
                    err = AppError("storage_error", _("The answer could not be saved. Please try again."), 503)
                    outcomes = [err] * len(batch)
                self.batches += 1
                self.writes += len(batch)
                for (_w, fut), out in zip(batch, outcomes, strict=True):
                    fut.set_result(out)


def answer_writer(rt: Runtime) -> AnswerWriter:
    """This process's one answer writer (group commit), made at its first use."""
    writer = rt.services.get(WRITER)
    if writer is None:
        writer = rt.services[WRITER] = AnswerWriter(rt.db_url)
    return writer
