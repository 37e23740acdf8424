"""Every serving process beats once a second; the marks of connections held by a process that stopped are cleared.

Runs as its own background task, beside the ticker: a tick busy finishing hundreds of papers at the deadline must
not make this process look stopped to the others.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from candidate import sessions
from ground import db, events, leader, liveness
from ground.concurrency import run_blocking
from ground.extensions import socketio
from ground.runtime import runtime

log = logging.getLogger(__name__)


class Liveness:
    """This process's heartbeat and its watch over the other processes of the installation."""

    def __init__(self, app: Flask, interval_s: float = 1.0) -> None:
        self.app = app
        self.interval_s = interval_s
        self.watch = liveness.Watch()

    def register(self) -> None:
        """Before serving: appear in the table, and clear marks that no registered process holds."""
        cleared = run_blocking(self._register, runtime(self.app).db_url, urgent=True)
        self._announce(cleared)

    @staticmethod
    def _register(db_url: str) -> list[dict[str, Any]]:
        with db.session_scope(db_url) as session:
            liveness.beat(session)
            return sessions.clear_unheld_connections(session)

    def run(self) -> None:
        """Beat and sweep every second for the life of the process."""
        while True:
            socketio.sleep(self.interval_s)
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the heartbeat must outlive any one failure
                log.exception("liveness tick failed")

    def tick(self) -> None:
        """One heartbeat; then (the leader) clear the connections of every process whose heartbeat stopped."""
        rt = runtime(self.app)
        held = {sid: int(info["paper_id"]) for sid, info in list(rt.connections.items()) if "paper_id" in info}
        cleared = run_blocking(self._tick, rt.db_url, held, urgent=True)  # a beat late is a process taken for stopped
        self._announce(cleared)

    def _tick(self, db_url: str, held: dict[str, int]) -> list[dict[str, Any]]:
        with db.session_scope(db_url) as session:
            if not liveness.beat(session):  # another process took us for stopped: our candidates are still here
                restored = sessions.restore_connections(session, held)
                log.warning("this process was taken for stopped; %s connection mark(s) restored", restored)
            stopped = self.watch.stopped(liveness.beats(session))  # every process watches: a new leader knows at once
            if not stopped or not leader.leads(db_url=db_url):  # clearing is a run-once job: the leader's
                return []
            log.warning("serving process(es) stopped: %s; clearing their connections", ", ".join(stopped))
            cleared = sessions.clear_connections_of(session, stopped)
            liveness.forget(session, stopped)
            return cleared + sessions.clear_unheld_connections(session)

    @staticmethod
    def _announce(cleared: list[dict[str, Any]]) -> None:
        """Tell the proctors' grids (as a disconnect) about each candidate whose mark was cleared."""
        for row in cleared:
            events.publish(events.CANDIDATE_DISCONNECTED, **row)


_liveness: Liveness | None = None


def start(app: Flask) -> Liveness:
    """Register this process and start its heartbeat (once)."""
    global _liveness
    if _liveness is None:
        _liveness = Liveness(app)
        _liveness.register()
        socketio.start_background_task(_liveness.run)
    return _liveness
