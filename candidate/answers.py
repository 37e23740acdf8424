"""The answer hot path: validated writes are group-committed (one transaction, then every ack) per batch."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

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
    """One queued write: an answer (``flagged`` None) or a flag change (``seq`` unused); or a barrier."""

    kind: str  # "answer" | "flag" | "barrier"
    paper_id: int = 0
    question: int = 0
    option: int | None = None
    seq: int = 0
    flagged: bool = False


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


def _upserts(dialect: str) -> tuple[Any, Any]:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Answer.__table__
    ins = insert(table)
    answer = ins.on_conflict_do_update(
        index_elements=[table.c.paper_id, table.c.item_version_id],
        set_={"option_id": ins.excluded.option_id, "seq": ins.excluded.seq, "saved_at": ins.excluded.saved_at},
        where=table.c.seq < ins.excluded.seq,
    )
    ins2 = insert(table)
    flag = ins2.on_conflict_do_update(
        index_elements=[table.c.paper_id, table.c.item_version_id],
        set_={"flagged": ins2.excluded.flagged},
    )
    return answer, flag


def commit_batch(db_url: str, batch: list[Write]) -> list[dict[str, Any] | AppError]:
    """Apply a batch in ONE transaction; returns, per write, its ack body or the AppError refusing it."""
    engine = db.get_engine(db_url)
    now = clock.now()
    outcomes: list[dict[str, Any] | AppError] = [{"ok": True}] * len(batch)
    answer_rows: dict[tuple[int, int], dict[str, Any]] = {}
    flag_rows: dict[tuple[int, int], dict[str, Any]] = {}
    with engine.begin() as conn:
        ids = {w.paper_id for w in batch if w.kind != "barrier"}
        states = {}
        if ids:
            states = {
                r.id: r
                for r in conn.execute(
                    select(Paper.id, Paper.state, Paper.deadline, Paper.locked).where(Paper.id.in_(ids))
                )
            }
        for i, w in enumerate(batch):
            if w.kind == "barrier":
                continue
            refusal = _refusal(states.get(w.paper_id), now)
            if refusal is not None:
                outcomes[i] = refusal
                continue
            key = (w.paper_id, w.question)
            if w.kind == "answer":
                outcomes[i] = {"ok": True, "seq": w.seq}
                kept = answer_rows.get(key)
                if kept is None or kept["seq"] < w.seq:  # one row per key: the highest seq wins
                    answer_rows[key] = {
                        "paper_id": w.paper_id, "item_version_id": w.question, "option_id": w.option,
                        "seq": w.seq, "saved_at": now, "flagged": False,
                    }
            else:
                outcomes[i] = {"ok": True, "flagged": w.flagged}
                flag_rows[key] = {
                    "paper_id": w.paper_id, "item_version_id": w.question, "option_id": None, "seq": 0,
                    "saved_at": now, "flagged": w.flagged,
                }
        upsert_answer, upsert_flag = _upserts(engine.dialect.name)
        if answer_rows:
            conn.execute(upsert_answer, list(answer_rows.values()))
        if flag_rows:
            conn.execute(upsert_flag, list(flag_rows.values()))
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
