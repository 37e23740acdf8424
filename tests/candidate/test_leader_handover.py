"""Two serving processes on PostgreSQL: one leads the run-once jobs; when it is killed the other takes over
within seconds, and the deadline sweep still finishes each expired paper exactly once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from ground import clock, db
from ground.leader import current_leader
from ground.models import AuditEvent, Paper, Result
from tests.conftest import drop_postgres_database, fresh_postgres_database, need_redis
from tests.live import Candidate, LiveServer, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _owner(db_url: str) -> int | None:
    """The OS pid of the leading process (its process id is host:pid:random)."""
    name = current_leader(db_url)
    return int(name.split(":")[-2]) if name else None


def _paper_of(live: LiveServer, i: int) -> int:
    with db.session_scope(live.db_url) as s:
        return s.scalar(select(Paper.id).where(Paper.candidate_id == live.candidate_id(i)))


def _expire(db_url: str, paper_id: int, in_s: float) -> None:
    """The paper's deadline moved to ``in_s`` seconds from now (what a proctor's "extend" by a negative amount does)."""
    with db.session_scope(db_url) as s:
        s.execute(update(Paper).where(Paper.id == paper_id).values(deadline=clock.now() + timedelta(seconds=in_s)))


def _finished_once(db_url: str, paper_id: int, candidate_id: int) -> None:
    with db.session_scope(db_url) as s:
        paper = s.get(Paper, paper_id)
        assert paper.state == "finished" and paper.finish_reason == "time_up" and paper.receipt
        assert s.scalar(select(func.count()).select_from(Result).where(Result.paper_id == paper_id)) == 1
        finishes = s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "finish:time_up", AuditEvent.candidate_id == candidate_id))
        assert finishes == 1, f"paper {paper_id} finished {finishes} times"


def test_the_leader_dies_and_another_process_sweeps_the_deadlines(tmp_path: Path) -> None:
    url, name = fresh_postgres_database()
    env = {"EXAM_REDIS_URL": need_redis(), "EXAM_REDIS_CHANNEL": f"exam-test-{uuid.uuid4().hex[:8]}"}
    a = b = None
    try:
        a = LiveServer(tmp_path / "data", url, **env).start()
        assert a.proc is not None
        wait_until(lambda: _owner(url) == a.proc.pid, message="the first process leads")  # type: ignore[union-attr]
        b = LiveServer(tmp_path / "data", url, seed=False, **env).start()
        assert b.proc is not None
        assert _owner(url) == a.proc.pid, "a second process does not take the leadership from a living leader"

        on_b = [Candidate(b, b.token(i)) for i in (0, 1)]  # both candidates sit on B, the follower
        for c in on_b:
            c.begin()
        first, second = _paper_of(a, 0), _paper_of(a, 1)

        _expire(url, first, -1)  # A, the leader, finishes it; the candidate on B hears it through Redis
        assert on_b[0].wait_for("ended")["reason"] == "time_up"
        _finished_once(url, first, a.candidate_id(0))

        _expire(url, second, 2)  # its deadline passes while nobody leads (or just after B took over)
        a.kill()
        took = wait_until(lambda: _owner(url) == b.proc.pid, timeout=15,  # type: ignore[union-attr]
                          message="B takes the leadership")
        assert took < 5, f"the hand-over took {took:.1f} s"
        print(f"\nleader killed: the other process led {took:.2f} s later")
        assert on_b[1].wait_for("ended")["reason"] == "time_up"
        _finished_once(url, second, a.candidate_id(1))
        wait_until(lambda: _unsealed(url) == 0, message="the new leader seals the audit chain")
        b._cli("audit", "check")
        for c in on_b:
            c.close()
    finally:
        for server in (a, b):
            if server is not None:
                server.stop()
        drop_postgres_database(name)


def _unsealed(db_url: str) -> int:
    with db.session_scope(db_url) as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.hash == "")) or 0
