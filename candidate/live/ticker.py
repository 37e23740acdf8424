"""The per-process clock loop: finishes papers at their deadline, pushes ``time``, seals the audit chain."""

from __future__ import annotations

import logging
import threading
import time as _time
from collections.abc import Callable

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import load_only

from candidate import sessions
from candidate.answers import answer_writer
from candidate.closing import close_paper
from candidate.live.exam_namespace import NAMESPACE, push_ended
from ground import audit, clock, db, leader
from ground.concurrency import run_blocking
from ground.extensions import socketio
from ground.models import Paper
from ground.runtime import runtime

log = logging.getLogger(__name__)


class Ticker:
    """Runs once a second (or at once when kicked); everything it does is idempotent."""

    def __init__(self, app: Flask, interval_s: float = 1.0) -> None:
        self.app = app
        self.interval_s = interval_s
        self._kick = threading.Event()
        self._ticks = 0
        self._tick_done = threading.Condition()
        self._last_slot = -1

    def kick(self, wait: bool = False, timeout: float = 30.0) -> int:
        """Run a tick now; with ``wait``, return after it has finished."""
        with self._tick_done:
            target = self._ticks + 2 if wait else 0
            self._kick.set()
            if wait:
                self._tick_done.wait_for(lambda: self._ticks >= target, timeout=timeout)
            return self._ticks

    def run(self) -> None:
        """Tick every second (or when kicked) for the life of the process."""
        while True:
            self._kick.wait(timeout=self.interval_s)
            forced = self._kick.is_set()
            self._kick.clear()
            try:
                with self.app.app_context():
                    self.tick(force_push=forced)
            except Exception:  # noqa: BLE001 - the loop must outlive any one failure
                log.exception("tick failed")
            with self._tick_done:
                self._ticks += 1
                self._tick_done.notify_all()

    def tick(self, force_push: bool = False) -> None:
        """Finish expired papers, seal the audit chain, push remaining times when due."""
        rt = runtime(self.app)
        leads = leader.leads(self.app)  # the run-once jobs (sweep, sealing): one process does them, ground/leader.py
        expired = run_blocking(self._expired, rt.db_url) if leads else []
        if expired:
            answer_writer(rt).barrier()
            for paper_id in expired:
                closed = run_blocking(close_paper, rt.db_url, paper_id, "time_up", rt.signing_key)
                if closed.closed_now:
                    push_ended(paper_id, closed.reason)
        if leads:
            run_blocking(self._seal, rt.db_url)
        # the page counts down by itself from the ``time`` of its start; a deadline that changes (extension, pause,
        # resume) is pushed at once by whoever changed it. What is left here is a slow resync: every connection once
        # per ``time_push_s``, spread over that period (a slice of the papers each second), not all in one burst
        period = max(1, int(rt.config.time_push_s))
        if force_push:
            self.push_times()
        else:
            slot = int(_time.monotonic() / self.interval_s) % period
            if slot != self._last_slot:
                self._last_slot = slot
                self.push_times(lambda paper_id: paper_id % period == slot)

    @staticmethod
    def _expired(db_url: str) -> list[int]:
        with db.session_scope(db_url) as session:
            return sessions.expired_papers(session)

    @staticmethod
    def _seal(db_url: str) -> None:
        with db.session_scope(db_url) as session:
            audit.seal_pending(session)

    def push_times(self, due: Callable[[int], bool] | None = None) -> None:
        """Send the connected candidates of this process (those whose paper is ``due``, default all) their remaining
        time, from the database."""
        rt = runtime(self.app)
        conns = {sid: info for sid, info in list(rt.connections.items())
                 if "paper_id" in info and (due is None or due(info["paper_id"]))}
        if not conns:
            return
        paper_ids = {info["paper_id"] for info in conns.values()}

        def load() -> dict[int, dict]:
            with db.session_scope(rt.db_url) as session:
                now = clock.now()
                papers = session.scalars(  # only the clock's columns: not the layout or sealed paper of hundreds
                    select(Paper)
                    .options(load_only(Paper.id, Paper.state, Paper.deadline, Paper.remaining_ms))
                    .where(Paper.id.in_(paper_ids))
                )
                return {p.id: sessions.time_payload(p, now) for p in papers if p.state != "issued"}

        payloads = run_blocking(load)
        for sid, info in conns.items():
            payload = payloads.get(info["paper_id"])
            if payload is not None:
                socketio.emit("time", payload, to=sid, namespace=NAMESPACE)


_ticker: Ticker | None = None


def start(app: Flask) -> Ticker:
    """Start this process's ticker as a background task (once)."""
    global _ticker
    if _ticker is None:
        _ticker = Ticker(app)
        socketio.start_background_task(_ticker.run)
    return _ticker


def kick(wait: bool = False) -> int:
    """Make the ticker run now (tests move the clock, proctor actions change deadlines)."""
    return _ticker.kick(wait=wait) if _ticker is not None else -1
