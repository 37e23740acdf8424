"""The candidate protocol end to end against a real server process, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import requests
import socketio
from sqlalchemy import select

from ground import db
from ground.models import AuditEvent, ItemVersion, Option, Paper, Result
from ground.models import Candidate as CandidateRow
from question_bank.store import option_points
from tests.live import Candidate, LiveServer, questions, wait_until

FORBIDDEN = {"points", "key", "weight", "score", "correct", "is_correct", "answer"}


def _walk_keys(node: object) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _walk_keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _walk_keys(v)}
    return set()


def _points(server: LiveServer) -> dict[int, float]:
    """Every option's points, opened from the sealed bank with the server's keys."""
    with db.session_scope(server.db_url) as s:
        versions = list(s.scalars(select(ItemVersion.id)))
        return {oid: pts for by_option in option_points(s, versions).values() for oid, pts in by_option.items()}


def test_full_exam_scores_exactly_by_the_key(server: LiveServer) -> None:
    cand = Candidate(server, server.token(0))
    start, paper = cand.begin()
    assert start["answers"] == {} and start["flags"] == [] and start["seq"] == 0
    assert start["locked"] is False and start["paused"] is False
    assert start["remaining_ms"] > 29 * 60 * 1000
    assert not (_walk_keys(paper) & FORBIDDEN), "the paper must carry no key, weight or score"
    qs = questions(paper)
    assert len(qs) == 30 and {s["code"] for s in paper["subtests"]} == {"TWK", "TIU", "TKP"}
    tick = cand.wait_for("time", timeout=10)  # pushed at least every 10 s (every 2 s in this server)
    assert 0 < tick["remaining_ms"] <= start["remaining_ms"] and tick["deadline"] == start["deadline"]

    points = _points(server)
    pmap = server.paper_map(0)  # the server's side of the labels: only it can tell which bank option was chosen
    rng = random.Random(7)
    expected: dict[str, float] = {}
    seq = start["seq"]
    for sub in paper["subtests"]:
        expected[sub["code"]] = 0.0
        for q in sub["questions"]:
            opt = rng.choice(q["options"])
            seq += 1
            ack = cand.call("answer", {"question": q["id"], "option": opt["id"], "seq": seq})
            assert ack == {"ok": True, "applied": True, "seq": seq, "option": opt["id"]}
            expected[sub["code"]] += points[pmap.question(q["id"])[1][opt["id"]]]

    done = cand.call("submit")
    assert done["ok"], done
    assert done["result"]["subtests"] == expected
    assert done["result"]["total"] == sum(expected.values())
    assert isinstance(done["result"]["passed"], bool) and done["receipt"].count(".") == 1
    assert cand.call("submit") == done, "a second submit returns the same result and receipt"
    ended = cand.wait_for("ended")
    assert ended == {"reason": "submitted"}
    late = cand.call("answer", {"question": qs[0]["id"], "option": None, "seq": 99})
    assert late["ok"] is False and late["error"]["code"] == "time_up"
    cand.close()


def _names(paper: dict) -> set[str]:
    """Every name a package gives a question, an option or an image."""
    out: set[str] = set()
    for q in questions(paper):
        out |= {q["id"], *(m["ref"] for m in q.get("media", []))}
        out |= {x for o in q["options"] for x in [o["id"], *(m["ref"] for m in o.get("media", []))]}
    return out


def test_two_packages_share_no_name_and_carry_no_bank_id(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    papers = []
    for i in (6, 7):
        cand = Candidate(server, server.token(i))
        papers.append(cand.begin()[1])
        cand.close()
    first, second = (_names(p) for p in papers)
    assert len(first) == 30 + sum(len(q["options"]) for q in questions(papers[0]))
    assert not first & second, "nothing a candidate holds links an item or option to another candidate's paper"
    with db.session_scope(server.db_url) as s:
        bank_ids = {str(v) for v in s.scalars(select(ItemVersion.id))} | {str(o) for o in s.scalars(select(Option.id))}
    assert not (first | second) & bank_ids, "no database id reaches a candidate"
    maps = [server.paper_map(i) for i in (6, 7)]
    shared = maps[0].question_labels.keys() & maps[1].question_labels.keys()
    assert shared, "the demo bank is small: the two papers show some of the same items"
    assert all(maps[0].question_labels[v] != maps[1].question_labels[v] for v in shared)


def test_sigkill_mid_exam_loses_no_acknowledged_answer(server: LiveServer) -> None:
    cand = Candidate(server, server.token(1), reconnection=True)
    start, paper = cand.begin()
    qs = questions(paper)
    acked = {}
    for i, q in enumerate(qs[:17]):
        opt = q["options"][i % len(q["options"])]["id"]
        assert cand.call("answer", {"question": q["id"], "option": opt, "seq": i + 1})["applied"]
        acked[q["id"]] = opt
    flag = cand.call("flag", {"question": qs[3]["id"], "flagged": True, "seq": 18})
    assert flag == {"ok": True, "applied": True, "seq": 18, "flagged": True}

    server.kill()
    cand.wait_for("disconnect")
    server.start()
    cand.wait_for("connect", timeout=30)  # the client reconnects on its own, as a browser would

    again = cand.call("start")
    assert again["ok"], again
    assert again["answers"] == acked
    assert again["flags"] == [qs[3]["id"]]
    assert again["seq"] == 18, "the page continues the paper's sequence from here after a restart or reload"
    assert again["deadline"] == start["deadline"], "a restart must not reset or stretch the time"
    assert again["key"] == start["key"]
    cand.close()


def test_deadline_refuses_answers_and_finalises_unattended_papers(server: LiveServer) -> None:
    present = Candidate(server, server.token(2))
    _, paper = present.begin()
    q = questions(paper)[0]
    assert present.call("answer", {"question": q["id"], "option": q["options"][0]["id"], "seq": 1})["applied"]

    gone = Candidate(server, server.token(3))
    _, paper_gone = gone.begin()
    q_gone = questions(paper_gone)[0]
    assert gone.call("answer", {"question": q_gone["id"], "option": q_gone["options"][1]["id"], "seq": 1})["applied"]
    gone.close()

    server.advance_clock(30 * 60 + 1)  # past the 30-minute deadline; the ticker runs before this returns
    assert present.wait_for("ended") == {"reason": "time_up"}
    late = present.call("answer", {"question": q["id"], "option": q["options"][1]["id"], "seq": 2})
    assert late == {"ok": False, "error": {"code": "time_up", "message": late["error"]["message"]}}

    with db.session_scope(server.db_url) as s:
        papers = {p.candidate_id: p for p in s.scalars(select(Paper).where(Paper.state == "finished"))}
        results = {r.paper_id: r for r in s.scalars(select(Result))}
    assert len(papers) == 2 and all(p.finish_reason == "time_up" for p in papers.values())
    assert all(p.id in results for p in papers.values()), "unattended papers are scored at the deadline"

    back = Candidate(server, server.token(3))  # the absent candidate logs in later and sees the outcome
    st = back.call("start")
    assert st["ok"] and st["ended"] == "time_up" and "total" in st["result"]
    present.close()
    back.close()


def test_one_live_connection_per_candidate(server: LiveServer) -> None:
    token = server.token(4)
    first = Candidate(server, token)
    first.begin()
    second_login = server.login(4)
    assert second_login.status_code == 409
    assert second_login.json()["error"]["code"] == "already_connected"

    replacement = Candidate(server, token)  # same token: a reload or a flaky cable replaces the old connection
    assert first.wait_for("session_replaced")["message"]
    st = replacement.call("start")
    assert st["ok"]
    first.close()
    replacement.close()


BAD_ANSWERS = [
    (None, "bad_payload"),
    ("text", "bad_payload"),
    ([1, 2], "bad_payload"),
    ({}, "bad_payload"),
    ({"question": True, "option": None, "seq": 1}, "bad_payload"),
    ({"question": 17, "option": None, "seq": 1}, "bad_payload"),  # labels are strings, never bank ids
    ({"question": "", "option": None, "seq": 1}, "bad_payload"),
    ({"question": "x" * 65, "option": None, "seq": 1}, "bad_payload"),
    ({"question": "abc", "option": None, "seq": 1}, "unknown_question"),
    ({"question": "999999", "option": None, "seq": 1}, "unknown_question"),
    ({"question": "Q", "option": "999999", "seq": 1}, "unknown_option"),
    ({"question": "Q", "option": 3, "seq": 1}, "bad_payload"),
    ({"question": "Q", "option": {"x": 1}, "seq": 1}, "bad_payload"),
    ({"question": "Q", "option": None}, "bad_payload"),
    ({"question": "Q", "option": None, "seq": "1"}, "bad_payload"),
    ({"question": "Q", "option": None, "seq": -1}, "bad_payload"),
    ({"question": "Q", "option": None, "seq": 0}, "bad_payload"),
    ({"question": "Q", "option": None, "seq": 1.5}, "bad_payload"),
    ({"question": "Q", "option": None, "seq": True}, "bad_payload"),
]


def test_every_malformed_payload_gets_the_error_shape(server: LiveServer) -> None:
    cand = Candidate(server, server.token(5))
    not_started = cand.call("answer", {"question": "1", "option": None, "seq": 1})
    assert not_started["ok"] is False and not_started["error"]["code"] == "not_started"
    _, paper = cand.begin()
    q = questions(paper)[0]
    for payload, code in BAD_ANSWERS:
        if isinstance(payload, dict) and payload.get("question") == "Q":
            payload = {**payload, "question": q["id"]}
        ack = cand.call("answer", payload)
        assert ack["ok"] is False, payload
        assert ack["error"]["code"] == code, (payload, ack)
        assert ack["error"]["message"], payload
    for payload in (
        None, {"question": q["id"]}, {"question": q["id"], "flagged": "yes", "seq": 1},
        {"question": q["id"], "flagged": True}, {"question": q["id"], "flagged": True, "seq": 0},
    ):
        ack = cand.call("flag", payload)
        assert ack["ok"] is False and ack["error"]["code"] == "bad_payload"
    assert cand.call("focus", {"kind": "nonsense"})["error"]["code"] == "bad_payload"
    # nothing changed: the paper holds no answer after all that
    assert cand.call("start")["answers"] == {}
    cand.close()


PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def _documented(event: str, ack: dict) -> None:
    """Every field of a real ack is in docs/protocol.md's row for that event (the document is held to the code)."""
    row = next(line for line in PROTOCOL.read_text(encoding="utf-8").splitlines() if line.startswith(f"| `{event}` |"))
    missing = {k for k in ack if f'"{k}"' not in row}
    assert not missing, (event, missing)
    if ack.get("reason"):
        assert f'"reason": "{ack["reason"]}"' in row


def test_acks_say_whether_the_write_was_applied(server: LiveServer) -> None:
    cand = Candidate(server, server.token(5))
    _, paper = cand.begin()
    q, q2 = questions(paper)[0], questions(paper)[1]
    o1, o2 = q["options"][0]["id"], q["options"][1]["id"]

    def answer(option: str | None, seq: int, question: str = q["id"]) -> dict:
        return cand.call("answer", {"question": question, "option": option, "seq": seq})

    def flag(flagged: bool, seq: int) -> dict:
        return cand.call("flag", {"question": q["id"], "flagged": flagged, "seq": seq})

    assert answer(o1, 10) == {"ok": True, "applied": True, "seq": 10, "option": o1}
    # a lower seq (a PC whose clock is behind, an old queue) is not applied, and the ack says what is kept
    assert answer(o2, 9) == {"ok": True, "applied": False, "reason": "stale", "seq": 10, "option": o1}
    assert answer(o2, 10) == {"ok": True, "applied": False, "reason": "stale", "seq": 10, "option": o1}
    # the same write again (a resend after a reconnect) is harmless and says so
    assert answer(o1, 10) == {"ok": True, "applied": True, "seq": 10, "option": o1, "duplicate": True}
    for ack in (answer(o1, 10), answer(o2, 9)):
        _documented("answer", ack)
    assert cand.call("start")["answers"] == {q["id"]: o1}

    # flags share the paper's sequence and follow the same rule
    assert flag(True, 11) == {"ok": True, "applied": True, "seq": 11, "flagged": True}
    assert flag(False, 5) == {"ok": True, "applied": False, "reason": "stale", "seq": 11, "flagged": True}
    assert flag(True, 11) == {"ok": True, "applied": True, "seq": 11, "flagged": True, "duplicate": True}
    for ack in (flag(True, 11), flag(False, 5)):
        _documented("flag", ack)
    p2 = q2["options"][1]["id"]
    assert answer(p2, 12, q2["id"]) == {"ok": True, "applied": True, "seq": 12, "option": p2}
    st = cand.call("start")
    _documented("start", st)
    assert st["seq"] == 12 and st["flags"] == [q["id"]] and st["answers"] == {q["id"]: o1, q2["id"]: p2}

    # after a reload the page continues above the paper's seq: its changes apply whatever its clock says
    cand.close()
    again = Candidate(server, server.token(5))
    st, _ = again.begin()
    assert st["seq"] == 12
    assert again.call("answer", {"question": q["id"], "option": None, "seq": st["seq"] + 1}) == {
        "ok": True, "applied": True, "seq": 13, "option": None,
    }
    assert again.call("flag", {"question": q["id"], "flagged": False, "seq": 14})["applied"] is True
    st = again.call("start")
    assert st["answers"] == {q2["id"]: p2} and st["flags"] == [] and st["seq"] == 14
    again.close()


def test_reserved_event_names_are_refused(server: LiveServer) -> None:
    cand = Candidate(server, server.token(7))
    cand.begin()
    for name in ("disconnect", "connect", "connect_error", "disconnecting"):
        ack = cand.call(name, {"x": 1}) if name != "disconnect" else cand.call(name, "client disconnect")
        assert ack["ok"] is False and ack["error"]["code"] == "reserved_event", (name, ack)
        assert f"`{name}`" in PROTOCOL.read_text(encoding="utf-8")
    # the paper is still this connection's: no second device may log in, and the connection works
    assert server.login(7).json()["error"]["code"] == "already_connected"
    with db.session_scope(server.db_url) as s:
        assert s.scalar(select(Paper.connected_sid).where(Paper.id == _paper_id(server, 7))) is not None
    assert cand.call("start")["ok"] is True
    cand.close()


def _paper_id(server: LiveServer, index: int) -> int:
    number = server.candidate(index)["participant_no"]
    with db.session_scope(server.db_url) as s:
        return s.scalar(
            select(Paper.id).join(CandidateRow, CandidateRow.id == Paper.candidate_id)
            .where(CandidateRow.participant_no == number)
        )


def test_connect_with_bad_token_is_refused_clearly(server: LiveServer) -> None:
    for auth in ({"access_token": "forged.token.value"}, {}, None):
        client = socketio.Client(reconnection=False)
        refusals: list[dict] = []
        client.on("connect_error", refusals.append, namespace="/exam")
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(server.url, namespaces=["/exam"], auth=auth, transports=["websocket"], wait_timeout=5)
        assert refusals and refusals[0]["data"]["code"] == "bad_token", refusals
        assert refusals[0]["message"] == refusals[0]["data"]["message"] and refusals[0]["message"]


def test_login_errors(server: LiveServer) -> None:
    url = server.url + "/api/v1/candidate/login"
    good = server.candidate(6)
    assert requests.post(url, data="not json", timeout=5).status_code == 400
    r = requests.post(url, json={"participant_no": good["participant_no"]}, timeout=5)
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    r = requests.post(url, json={**good, "pin": "000000x"}, timeout=5)
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_credentials"
    r = requests.post(url, json={**good, "room_token": "NOPE42"}, timeout=5)
    assert r.status_code == 401
    ok = requests.post(url, json=good, timeout=5)
    assert ok.status_code == 200
    body = ok.json()
    assert set(body) == {"access_token", "candidate", "exam"}
    assert body["exam"]["duration_s"] == 1800 and body["candidate"]["participant_no"] == good["participant_no"]
    codes = [requests.post(url, json={**good, "pin": "wrong!"}, timeout=5).status_code for _ in range(12)]
    assert set(codes[:10]) == {401} and set(codes[10:]) == {429}, codes  # the success above reset the count
    assert requests.post(url, json=good, timeout=5).json()["error"]["code"] == "too_many_attempts"


def test_a_focus_loop_reaches_the_audit_log_once_per_window(server: LiveServer) -> None:
    """A page that fires focus losses in a loop (a bug, a script) writes a few audit rows, not one per event; the
    ones held back are counted on the next row that is written."""
    cand = Candidate(server, server.token(2))
    cand.begin()
    acks = [cand.call("focus", {"kind": "blur"}) for _ in range(200)]
    assert all(a["ok"] for a in acks)
    reported = sum(a["reported"] for a in acks)
    assert acks[0]["reported"] is True and 1 <= reported < 20, reported
    cid = server.candidate_id(2)

    def focus_rows() -> list[AuditEvent]:
        with db.session_scope(server.db_url) as s:
            return list(s.scalars(select(AuditEvent).where(AuditEvent.candidate_id == cid,
                                                           AuditEvent.action == "focus_lost")))

    wait_until(lambda: len(focus_rows()) >= reported)  # the proctor pump writes them within a fraction of a second
    rows = focus_rows()
    assert len(rows) == reported
    assert sum(r.details.get("repeats", 0) for r in rows) <= 200 - reported
    assert cand.call("focus", {"kind": "fullscreen_exit"})["reported"] is True, "another kind is its own window"
    cand.close()
