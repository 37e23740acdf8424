"""Coming back to a paper: reload while locked or paused, and closed login, against a real server and proctor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.live import Candidate, LiveServer, questions
from tests.proctor.clients import Proctor, staff_creds


def _answered(server: LiveServer, i: int, option: int) -> tuple[Candidate, dict[str, Any], dict[str, Any]]:
    """Candidate ``i`` started and answered the first question with its option ``option`` (seq 1)."""
    cand = Candidate(server, server.token(i))
    start, paper = cand.begin()
    q = questions(paper)[0]
    assert cand.call("answer", {"question": q["id"], "option": q["options"][option]["id"], "seq": 1})["applied"]
    return cand, start, q


@pytest.fixture
def proctor(server: LiveServer) -> Iterator[Proctor]:
    p = Proctor(server, *staff_creds(server, "proctor"))
    assert p.call("join", {"room": server.room_id()})["ok"]
    yield p
    p.close()


def test_start_while_locked_shows_the_lock_and_unlock_continues(server: LiveServer, proctor: Proctor) -> None:
    room, cid = server.room_id(), server.candidate_id(0)
    cand, first, q = _answered(server, 0, option=1)
    assert proctor.call("lock", {"room": room, "candidate": cid, "reason": "phone on desk"})["ok"]
    assert cand.wait_for("proctor_action")["kind"] == "lock"

    reloaded = Candidate(server, cand.token)  # F5 while locked: the same login, a new connection
    locked = reloaded.call("start")
    assert locked["ok"] is True and locked["locked"] is True and locked["paused"] is False, locked
    assert not {"key", "answers", "flags"} & set(locked), "nothing of the paper while locked"
    assert locked["seq"] == 1 and locked["deadline"] == first["deadline"]
    refused = reloaded.call("answer", {"question": q["id"], "option": None, "seq": 2})
    assert refused["ok"] is False and refused["error"]["code"] == "locked"

    assert proctor.call("unlock", {"room": room, "candidate": cid, "reason": "phone handed in"})["ok"]
    assert reloaded.wait_for("proctor_action")["kind"] == "unlock"
    again = reloaded.call("start")  # the page calls start again by itself: no Start button
    assert again["locked"] is False and again["key"] == first["key"]
    assert again["answers"] == {q["id"]: q["options"][1]["id"]} and again["seq"] == 1
    cand.close()
    reloaded.close()


def test_start_while_paused_returns_everything_paused(server: LiveServer, proctor: Proctor) -> None:
    room = server.room_id()
    cand = Candidate(server, server.token(1))
    first, paper = cand.begin()
    q = questions(paper)[0]
    assert cand.call("flag", {"question": q["id"], "flagged": True, "seq": 1})["applied"]
    assert proctor.call("pause_room", {"room": room, "reason": "power cut"})["ok"]
    reloaded = Candidate(server, cand.token)
    st = reloaded.call("start")
    assert st["ok"] and st["paused"] is True and st["locked"] is False and st["key"] == first["key"]
    assert st["flags"] == [q["id"]] and st["seq"] == 1 and st["deadline"] is None and st["remaining_ms"] > 0
    assert reloaded.call("answer", {"question": q["id"], "option": None, "seq": 2})["error"]["code"] == "paused"
    two = reloaded.sio.call("answer", ({"question": q["id"], "option": None, "seq": 2}, 1), namespace="/exam",
                            timeout=20)  # the hot path took the first argument and dropped the rest
    assert two["error"]["code"] == "bad_payload" and reloaded.call("nosuch")["error"]["code"] == "unknown_event"
    for name in ("disconnect", "connect"):  # the proctor's namespace refuses reserved names the same way
        assert proctor.call(name, "client disconnect")["error"]["code"] == "reserved_event"
    assert proctor.call("resume_room", {"room": room, "reason": "power back"})["ok"], "still signed in and joined"
    cand.close()
    reloaded.close()


def test_closed_login_refuses_new_sign_ins_only(server: LiveServer, proctor: Proctor) -> None:
    room, cid = server.room_id(), server.candidate_id(2)
    started, _, q = _answered(server, 2, option=0)
    server.token(3)  # signed in but never started: a new sign-in as far as the room is concerned
    assert proctor.call("close_room", {"room": room, "reason": "session under way"})["ok"]

    refused = server.login(4)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "room_closed"
    assert server.login(3).json()["error"]["code"] == "room_closed", "not started: still a new sign-in"

    started.close()  # the browser crashed: the connection is gone
    back = Candidate(server, server.token(2))  # signing in again on the same PC
    st, _ = back.begin()
    assert st["answers"] == {q["id"]: q["options"][0]["id"]} and st["seq"] == 1

    assert proctor.call("release", {"room": room, "candidate": cid, "reason": "spare PC"})["ok"]
    back.wait_for("disconnect")
    spare = Candidate(server, server.token(2))  # a device release to a spare PC while the room is closed
    st, _ = spare.begin()
    assert st["answers"] == {q["id"]: q["options"][0]["id"]}
    spare.close()
