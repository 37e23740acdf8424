"""Two server processes of one installation: PostgreSQL holds the state, Redis carries Socket.IO emits."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.conftest import drop_postgres_database, fresh_postgres_database, need_redis
from tests.live import Candidate, LiveServer

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_a_candidate_moves_between_processes_without_losing_anything(tmp_path: Path) -> None:
    redis = need_redis()
    url, name = fresh_postgres_database()
    env = {"EXAM_REDIS_URL": redis, "EXAM_REDIS_CHANNEL": f"exam-test-{uuid.uuid4().hex[:8]}"}
    a = b = None
    try:
        a = LiveServer(tmp_path / "data", url, **env).start()
        b = LiveServer(tmp_path / "data", url, seed=False, **env).start()
        on_a = Candidate(a, a.token(0))
        start, paper = on_a.begin()
        q = paper["subtests"][0]["questions"][0]
        assert on_a.call("answer", {"question": q["id"], "option": q["options"][2]["id"], "seq": 1})["applied"]

        refused = b.login(0)  # the connection lives in process A; process B still knows
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "already_connected"

        on_b = Candidate(b, on_a.token)  # the same device reconnects through the other process
        assert on_a.wait_for("session_replaced")["message"]  # pushed from B to A through Redis
        on_a.wait_for("disconnect")
        again = on_b.call("start")
        assert again["deadline"] == start["deadline"]
        assert again["answers"] == {q["id"]: q["options"][2]["id"]}
        on_b.close()
    finally:
        for server in (a, b):
            if server is not None:
                server.stop()
        drop_postgres_database(name)
