"""The room summary (berita acara) and the public score board against a real server: right counts, same room
rights as the actions, nothing personal on the board beyond number and name; two processes over Redis."""

from __future__ import annotations

import csv
import io
import queue
from pathlib import Path

import pytest
import requests
import socketio
from sqlalchemy import select

from ground import db
from ground.models import Candidate
from ground.staff.accounts import create_staff
from tests.conftest import drop_postgres_database, fresh_postgres_database, need_redis
from tests.live import Candidate as CandidateClient
from tests.live import LiveServer, questions
from tests.proctor.clients import Proctor, staff_creds


def test_summary_counts_incidents_and_exports(server: LiveServer) -> None:
    room = server.room_id()
    proctor = Proctor(server, *staff_creds(server, "proctor"))
    a = CandidateClient(server, server.token(0))
    _st, paper = a.begin()
    q = questions(paper)[0]
    assert a.call("answer", {"question": q["id"], "option": q["options"][0]["id"], "seq": 1})["applied"]
    assert a.call("submit")["ok"]
    b = CandidateClient(server, server.token(1))
    b.begin()
    with db.session_scope(server.db_url) as s:
        cid_b = s.scalar(select(Candidate.id).where(Candidate.participant_no == server.creds["candidates"][1][
            "participant_no"]))
    assert proctor.call("lock", {"room": room, "candidate": cid_b, "reason": "catatan di meja"})["ok"]
    assert proctor.call("force_submit", {"room": room, "candidate": cid_b, "reason": "menyontek"})["ok"]

    text = proctor.http.get(f"{server.url}/proctor/rooms/{room}/summary.csv?lang=en", timeout=20)
    assert text.status_code == 200 and "attachment" in text.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(text.text)))
    counts = {r[0]: r[1] for r in rows[1:13]}
    assert counts["Registered"] == "20" and counts["Present"] == "2" and counts["Absent"] == "18"
    assert counts["Finished"] == "2" and counts["Submitted by the candidate"] == "1"
    assert counts["Ended by the proctor"] == "1" and counts["Incidents"] == "2"
    reasons = [r[-1] for r in rows if len(r) == 5 and r[1].startswith("proctor.")]
    assert reasons == ["catatan di meja", "menyontek"]
    pdf = proctor.http.get(f"{server.url}/proctor/rooms/{room}/summary.pdf", timeout=20)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and len(pdf.content) > 2000
    page = proctor.http.get(f"{server.url}/proctor/rooms/{room}/summary?lang=en", timeout=20)
    assert "menyontek" in page.text and "Ruang CAT 1" in page.text

    # the same room rights as the actions; nothing without signing in
    with db.session_scope(server.db_url) as s:
        create_staff(s, "pengawas.lain", "another password", "proctor")
    stranger = Proctor(server, "pengawas.lain", "another password", connect=False)
    for suffix in ("", ".csv", ".pdf"):
        r = stranger.http.get(f"{server.url}/proctor/rooms/{room}/summary{suffix}", timeout=20)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_room"
        anon = requests.get(f"{server.url}/proctor/rooms/{room}/summary{suffix}", allow_redirects=False, timeout=20)
        assert anon.status_code == 302 and "/staff/login" in anon.headers["Location"]
    for c in (a, b, proctor):
        c.close()


def test_public_score_board_shows_results_as_they_come(server: LiveServer) -> None:
    pushes: queue.Queue = queue.Queue()
    viewer = socketio.Client(reconnection=False)
    viewer.on("result", pushes.put, namespace="/board")
    viewer.connect(server.url, namespaces=["/board"], transports=["websocket"], wait_timeout=10)
    joined = viewer.call("join", {"room": "DEMO-R1"}, namespace="/board", timeout=10)
    assert joined["ok"] and joined["results"] == [] and "token" not in joined["room"]
    assert viewer.call("join", {"room": "NOPE"}, namespace="/board")["error"]["code"] == "unknown_room"
    assert viewer.call("join", {"room": 5}, namespace="/board")["error"]["code"] == "bad_payload"
    cand = CandidateClient(server, server.token(2))
    cand.begin()
    done = cand.call("submit")
    pushed = pushes.get(timeout=5)
    assert set(pushed) == {"participant_no", "name", "subtests", "total", "passed", "at"}, "no other personal data"
    assert pushed["participant_no"] == server.creds["candidates"][2]["participant_no"]
    assert pushed["subtests"] == done["result"]["subtests"] and pushed["total"] == done["result"]["total"]
    again = viewer.call("join", {"room": "DEMO-R1"}, namespace="/board")
    assert [r["participant_no"] for r in again["results"]] == [pushed["participant_no"]]
    page = requests.get(server.url + "/board/DEMO-R1?lang=en", timeout=10)
    assert page.status_code == 200 and pushed["participant_no"] in page.text and "TWK" in page.text
    assert server.creds["room_token"] not in page.text
    viewer.disconnect()
    cand.close()


@pytest.mark.postgres
@pytest.mark.redis
def test_two_processes_share_the_dashboard_over_redis(tmp_path: Path) -> None:
    """A candidate on process 1, the proctor on process 2: the grid still updates (the Redis message queue)."""
    redis_url = need_redis()
    url, name = fresh_postgres_database()
    one = LiveServer(tmp_path / "data", url, EXAM_REDIS_URL=redis_url)
    two = LiveServer(tmp_path / "data", url, EXAM_REDIS_URL=redis_url)
    try:
        one.start()
        two.start()
        proctor = Proctor(two, *staff_creds(two, "proctor"))
        assert proctor.call("join", {"room": two.room_id()})["ok"]
        cand = CandidateClient(one, one.token(0))
        _st, paper = cand.begin()
        q = questions(paper)[0]
        assert cand.call("answer", {"question": q["id"], "option": q["options"][0]["id"], "seq": 1})["applied"]
        data, _at = proctor.wait_for("candidates", lambda d: any(r["answered"] == 1 for r in d["rows"]))
        cid = next(r["candidate_id"] for r in data["rows"] if r["answered"] == 1)
        assert proctor.call("extend", {"room": two.room_id(), "candidate": cid, "seconds": 60, "reason": "r"})["ok"]
        assert cand.wait_for("proctor_action")["kind"] == "extend", "the action reached the other process"
        cand.close()
        proctor.close()
    finally:
        one.stop()
        two.stop()
        drop_postgres_database(name)
