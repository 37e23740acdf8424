"""Several serving processes: when one stops, its candidates' connection marks are cleared within seconds."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from candidate import sessions
from ground import clock, db, liveness
from ground.models import ConnectionHolder, Paper, ServerProcess
from tests.conftest import drop_postgres_database, fresh_postgres_database, need_redis
from tests.live import Candidate, LiveServer, wait_until
from tests.scoring.analysis.analysis_data import build_exam


def _paper(db_url: str, paper_id: int) -> tuple[str | None, list[str]]:
    with db.session_scope(db_url) as s:
        sid = s.scalar(select(Paper.connected_sid).where(Paper.id == paper_id))
        holders = list(s.scalars(select(ConnectionHolder.process_id).where(ConnectionHolder.paper_id == paper_id)))
        return sid, holders


def _processes(db_url: str) -> list[tuple[str, int]]:
    with db.session_scope(db_url) as s:
        return [(p, pid) for p, pid in s.execute(select(ServerProcess.id, ServerProcess.pid))]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql+redis", marks=[pytest.mark.postgres,
                                                                                      pytest.mark.redis])])
def test_candidate_of_a_killed_process_logs_in_on_the_other_within_seconds(tmp_path: Path, backend: str) -> None:
    url = name = None
    env: dict[str, str] = {}
    if backend != "sqlite":  # two processes behind Redis on PostgreSQL, as a large site runs
        env = {"EXAM_REDIS_URL": need_redis(), "EXAM_REDIS_CHANNEL": f"exam-test-{uuid.uuid4().hex[:8]}"}
        url, name = fresh_postgres_database()
    a = b = None
    try:
        a = LiveServer(tmp_path / "data", url, **env).start()  # two processes, one data folder (SQLite: no Redis)
        b = LiveServer(tmp_path / "data", url, seed=False, **env).start()
        assert a.proc is not None and b.proc is not None
        assert sorted(pid for _, pid in _processes(a.db_url)) == sorted([a.proc.pid, b.proc.pid])

        on_a = Candidate(a, a.token(0))
        start, paper = on_a.begin()
        q = paper["subtests"][0]["questions"][0]
        assert on_a.call("answer", {"question": q["id"], "option": q["options"][1]["id"], "seq": 1})["ok"]
        with db.session_scope(a.db_url) as s:
            paper_id = s.scalar(select(Paper.id).where(Paper.connected_sid.is_not(None)))
        sid, holders = _paper(a.db_url, paper_id)
        assert sid is not None and len(holders) == 1 and f":{a.proc.pid}:" in holders[0], "A holds the connection"

        refused = b.login(0)  # while A lives, a second device is refused
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "already_connected"

        a.kill()  # a power cut of process A: no disconnect is ever recorded by A
        took = wait_until(lambda: _paper(b.db_url, paper_id)[0] is None, timeout=20)
        assert took < 15, f"the mark stayed {took:.1f} s"
        assert _paper(b.db_url, paper_id)[1] == []
        assert [pid for _, pid in _processes(b.db_url)] == [b.proc.pid], "the stopped process is forgotten"

        on_b = Candidate(b, b.token(0))  # logs in on B without a proctor
        again = on_b.call("start")
        assert again["ok"] and again["deadline"] == start["deadline"]
        assert again["answers"] == {q["id"]: q["options"][1]["id"]}
        assert f":{b.proc.pid}:" in _paper(b.db_url, paper_id)[1][0], "now B holds it"
        on_b.close()
        on_a.close()
    finally:
        for server in (a, b):
            if server is not None:
                server.stop()
        if name:
            drop_postgres_database(name)


def test_a_process_is_taken_for_stopped_only_when_its_count_stands_still() -> None:
    now = [100.0]
    watch = liveness.Watch(stale_after_s=6.0, monotonic=lambda: now[0])
    me = liveness.process_id()
    assert watch.stopped({"a": 1, "b": 7, me: 3}) == []
    now[0] += 5.9
    assert watch.stopped({"a": 2, "b": 7, me: 3}) == []  # a beats; b has stood still 5.9 s
    now[0] += 0.2
    assert watch.stopped({"a": 2, "b": 7, me: 3}) == ["b"], "never this process itself"
    now[0] += 6.0
    assert watch.stopped({"a": 2}) == ["a"]  # b's row is gone: forgotten


def test_connection_marks_follow_the_process_that_holds_them(db_url: str) -> None:
    with db.session_scope(db_url) as s:
        exam = build_exam(s, code="LIVE", n=3)
        p1, p2, p3 = s.scalars(select(Paper.id).where(Paper.exam_id == exam.exam_id).order_by(Paper.id)).all()
    other = "elsewhere:1:abcd"
    with db.session_scope(db_url) as s:
        assert liveness.beat(s) is False  # first beat registers this process
        assert liveness.beat(s) is True
        s.add(ServerProcess(id=other, host="elsewhere", pid=1, started_at=clock.now(), beat=1, beat_at=clock.now()))
        s.get(Paper, p1).session_id = f"login-{p1}"  # type: ignore[union-attr]
        s.flush()
        sessions.connect(s, p1, f"login-{p1}", "s1")  # held by this process
        s.add(ConnectionHolder(sid="s2", paper_id=p2, process_id=other, since=clock.now()))
        s.get(Paper, p2).connected_sid = "s2"  # type: ignore[union-attr]  (as the other process wrote it)
        s.get(Paper, p3).connected_sid = "s3"  # type: ignore[union-attr]  (a mark nobody holds)
    with db.session_scope(db_url) as s:
        assert [r["paper_id"] for r in sessions.clear_unheld_connections(s)] == [p3]
        cleared = sessions.clear_connections_of(s, [other])
        assert [r["paper_id"] for r in cleared] == [p2] and cleared[0]["exam_id"] == exam.exam_id
        liveness.forget(s, [other])
    assert [_paper(db_url, p)[0] for p in (p1, p2, p3)] == ["s1", None, None]
    assert _paper(db_url, p1)[1] == [liveness.process_id()]

    with db.session_scope(db_url) as s:  # others took this (stalled) process for stopped ...
        sessions.clear_connections_of(s, [liveness.process_id()])
        liveness.forget(s, [liveness.process_id()])
    with db.session_scope(db_url) as s:  # ... its next beat registers again and marks its connections again
        assert liveness.beat(s) is False
        assert sessions.restore_connections(s, {"s1": p1}) == 1
    assert _paper(db_url, p1) == ("s1", [liveness.process_id()])
    with db.session_scope(db_url) as s:
        assert sessions.disconnect(s, p1, "s1")
    assert _paper(db_url, p1) == (None, [])
