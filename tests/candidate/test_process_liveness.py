"""Several serving processes: when one stops, its candidates' connection marks are cleared within seconds."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from ground import db
from ground.models import ConnectionHolder, Paper, ServerProcess
from tests.live import Candidate, LiveServer


def wait_until(condition: Callable[[], bool], timeout: float) -> float:
    """Poll ``condition`` until it holds; the seconds it took (fails after ``timeout``)."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < timeout, f"not true within {timeout} s"
        time.sleep(0.1)
    return time.monotonic() - began


def _paper(db_url: str, paper_id: int) -> tuple[str | None, list[str]]:
    with db.session_scope(db_url) as s:
        sid = s.scalar(select(Paper.connected_sid).where(Paper.id == paper_id))
        holders = list(s.scalars(select(ConnectionHolder.process_id).where(ConnectionHolder.paper_id == paper_id)))
        return sid, holders


def _processes(db_url: str) -> list[tuple[str, int]]:
    with db.session_scope(db_url) as s:
        return [(p, pid) for p, pid in s.execute(select(ServerProcess.id, ServerProcess.pid))]


def test_candidate_of_a_killed_process_logs_in_on_the_other_within_seconds(tmp_path: Path) -> None:
    a = b = None
    try:
        a = LiveServer(tmp_path / "data", None).start()  # two processes, one SQLite data folder, no Redis
        b = LiveServer(tmp_path / "data", None, seed=False).start()
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
