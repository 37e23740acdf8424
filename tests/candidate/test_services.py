"""Service-level tests without a server: the clock, tokens, the audit chain, group commit, pause/extend."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from candidate import sessions, tokens
from candidate.answers import Write, commit_batch
from exam_engine.demo import seed_demo
from ground import audit, clock, db
from ground.config import Config
from ground.errors import AppError
from ground.models import Answer, AuditEvent, Exam, Paper


def test_clock_freezes_and_advances_exactly() -> None:
    t0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    assert clock.freeze(t0) == t0 and clock.now() == t0
    assert clock.advance(90) == t0 + timedelta(seconds=90)
    assert clock.isoformat(clock.now()) == "2026-11-27T08:01:30.000Z"
    assert clock.parse_iso("2026-11-27T08:01:30.000Z") == clock.now()
    clock.reset()
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 5


def test_access_tokens_expire_on_the_injected_clock() -> None:
    claims = tokens.AccessClaims(1, 2, "login-a")
    token = tokens.issue("secret", claims)
    assert tokens.read("secret", token, 3600) == claims
    with pytest.raises(AppError) as bad:
        tokens.read("other-secret", token, 3600)
    assert bad.value.code == "bad_token" and bad.value.status == 401
    clock.advance(3601)
    with pytest.raises(AppError) as old:
        tokens.read("secret", token, 3600)
    assert old.value.code == "token_expired"


@pytest.fixture
def demo(db_url: str, tmp_path: Path) -> Config:
    config = Config(data_dir=tmp_path / "data", database_url=db_url)
    seed_demo(config, candidates=3)
    return config


def _paper(db_url: str, index: int = 0) -> Paper:
    with db.session_scope(db_url) as s:
        return s.scalars(select(Paper).order_by(Paper.id)).all()[index]


def _start(db_url: str, paper_id: int) -> Paper:
    with db.session_scope(db_url) as s:
        paper = s.get(Paper, paper_id)
        exam = s.get(Exam, paper.exam_id)
        sessions.start(s, paper, exam)
        return paper


def test_group_commit_keeps_the_highest_seq_and_refuses_by_state(demo: Config) -> None:
    url = demo.sqlalchemy_url
    issued = _paper(url, 0)
    q = issued.layout["subtests"][0]["questions"][0]
    v, o = q["v"], q["o"]
    refused = commit_batch(url, [Write("answer", issued.id, v, o[0], 1)])
    assert isinstance(refused[0], AppError) and refused[0].code == "not_started"

    paper = _start(url, issued.id)
    batch = [
        Write("answer", paper.id, v, o[1], 5),
        Write("answer", paper.id, v, o[2], 7),  # applied in arrival order: 7 replaces 5 ...
        Write("answer", paper.id, v, o[3], 6),  # ... and 6 arrives after 7: stale, told what is stored
        Write("flag", paper.id, v, seq=8, flagged=True),
        Write("answer", paper.id, v, o[2], 7),  # a resend of the applied write
        Write("barrier"),
    ]
    out = commit_batch(url, batch)
    s1, s2, s3 = o[1], o[2], o[3]  # the writer speaks bank ids; the face turns them into the paper's labels
    assert out[:5] == [
        {"ok": True, "applied": True, "seq": 5, "option": s1},
        {"ok": True, "applied": True, "seq": 7, "option": s2},
        {"ok": True, "applied": False, "reason": "stale", "seq": 7, "option": s2},
        {"ok": True, "applied": True, "seq": 8, "flagged": True},
        {"ok": True, "applied": True, "seq": 7, "option": s2, "duplicate": True},
    ]
    assert out[2]["option"] != s3
    assert commit_batch(url, [Write("answer", paper.id, v, o[0], 3)]) == [
        {"ok": True, "applied": False, "reason": "stale", "seq": 7, "option": s2}
    ]
    assert commit_batch(url, [Write("flag", paper.id, v, seq=6, flagged=False)]) == [
        {"ok": True, "applied": False, "reason": "stale", "seq": 8, "flagged": True}
    ]
    assert commit_batch(url, [Write("flag", paper.id, v, seq=8, flagged=True)]) == [
        {"ok": True, "applied": True, "seq": 8, "flagged": True, "duplicate": True}
    ]
    assert commit_batch(url, [Write("answer", paper.id, v, o[1], 7)])[0]["applied"] is False, "same seq, other value"
    with db.session_scope(url) as s:
        row = s.get(Answer, (paper.id, v))
        assert (row.option_id, row.seq, row.flagged, row.flag_seq) == (o[2], 7, True, 8)
        assert sessions.last_seq(s, paper.id) == 8

    with db.session_scope(url) as s:
        s.execute(update(Paper).where(Paper.id == paper.id).values(locked=True))
    assert commit_batch(url, [Write("answer", paper.id, v, o[0], 9)])[0].code == "locked"
    assert commit_batch(url, [Write("flag", paper.id, v, seq=9, flagged=False)])[0].code == "locked"
    with db.session_scope(url) as s:
        s.execute(update(Paper).where(Paper.id == paper.id).values(locked=False))

    clock.advance(30 * 60 + 1)
    late = commit_batch(url, [Write("answer", paper.id, v, o[0], 10)])[0]
    assert isinstance(late, AppError) and late.code == "time_up"
    with db.session_scope(url) as s:
        assert sessions.expired_papers(s) == [paper.id]
        assert s.get(Answer, (paper.id, v)).option_id == o[2], "nothing changed after the deadline"


def test_a_set_is_written_whole_with_the_same_sequence_rules(demo: Config) -> None:
    """A multiple-response answer: the chosen set is applied or refused whole, by seq, as one option is."""
    url = demo.sqlalchemy_url
    paper = _start(url, _paper(url, 1).id)
    q = paper.layout["subtests"][0]["questions"][0]
    v, o = q["v"], q["o"]
    a, b, c = sorted(o[:3])

    def answer(seq: int, *chosen: int) -> Write:
        return Write("answer", paper.id, v, seq=seq, options=tuple(sorted(chosen)))

    out = commit_batch(url, [
        answer(2, a, c),
        answer(2, a, c),  # a resend in the same batch
        answer(2, b),  # same seq, another set
        answer(4, a, b),
        answer(3, c),  # arrives after 4
        Write("flag", paper.id, v, seq=5, flagged=True),
    ])
    assert out == [
        {"ok": True, "applied": True, "seq": 2, "options": [a, c]},
        {"ok": True, "applied": True, "seq": 2, "options": [a, c], "duplicate": True},
        {"ok": True, "applied": False, "reason": "stale", "seq": 2, "options": [a, c]},
        {"ok": True, "applied": True, "seq": 4, "options": [a, b]},
        {"ok": True, "applied": False, "reason": "stale", "seq": 4, "options": [a, b]},
        {"ok": True, "applied": True, "seq": 5, "flagged": True},
    ]
    with db.session_scope(url) as s:
        row = s.get(Answer, (paper.id, v))
        assert (row.option_id, row.option_ids, row.seq, row.flagged, row.flag_seq) == (None, [a, b], 4, True, 5)
        assert sessions.saved_state(s, paper.id) == ({v: (a, b)}, [v])
    assert commit_batch(url, [answer(4, a, b)]) == [
        {"ok": True, "applied": True, "seq": 4, "options": [a, b], "duplicate": True}
    ], "a resend in a later batch, read back from the database"
    assert commit_batch(url, [answer(1, c)]) == [
        {"ok": True, "applied": False, "reason": "stale", "seq": 4, "options": [a, b]}
    ]
    assert commit_batch(url, [answer(6)]) == [{"ok": True, "applied": True, "seq": 6, "options": []}], "cleared"
    with db.session_scope(url) as s:
        row = s.get(Answer, (paper.id, v))
        assert (row.option_id, row.option_ids, row.flagged) == (None, None, True), "an empty set is stored as none"
        assert sessions.saved_state(s, paper.id) == ({}, [v])
        assert sessions.last_seq(s, paper.id) == 6
    assert commit_batch(url, [answer(6)])[0].get("duplicate") is True
    clock.advance(30 * 60 + 1)
    late = commit_batch(url, [answer(7, a)])[0]
    assert isinstance(late, AppError) and late.code == "time_up"


def test_a_write_waits_while_its_paper_is_being_finished_then_is_refused(demo: Config) -> None:
    url = demo.sqlalchemy_url
    paper = _start(url, _paper(url, 2).id)
    q = paper.layout["subtests"][0]["questions"][0]
    v, o = q["v"], q["o"]
    assert commit_batch(url, [Write("answer", paper.id, v, o[0], 1)])[0]["applied"] is True
    outcome: list[list] = []
    writer = threading.Thread(target=lambda: outcome.append(commit_batch(url, [Write("answer", paper.id, v, o[1], 2)])))
    with db.session_scope(url) as s:  # a submit, mid-way: the paper is finished but not yet committed
        finishing = s.get(Paper, paper.id)
        assert sessions.finish(s, finishing, "submitted")
        writer.start()
        writer.join(timeout=1.0)
        assert writer.is_alive(), "the write must wait for the paper's lock, not decide on what it read before"
        scored = s.get(Answer, (paper.id, v)).option_id
    writer.join(timeout=30)
    refused = outcome[0][0]
    assert isinstance(refused, AppError) and refused.code == "time_up"
    with db.session_scope(url) as s:
        row = s.get(Answer, (paper.id, v))
        finished = s.get(Paper, paper.id)
        assert (row.option_id, row.seq) == (o[0], 1) and scored == o[0], "what was scored is what is stored"
        assert row.saved_at <= finished.finished_at


def test_pause_freezes_and_resume_restores_the_remaining_time_exactly(demo: Config) -> None:
    url = demo.sqlalchemy_url
    clock.freeze(datetime(2026, 11, 27, 8, 0, tzinfo=UTC))
    paper = _start(url, _paper(url, 1).id)
    assert paper.deadline == clock.now() + timedelta(minutes=30)
    clock.advance(600)
    with db.session_scope(url) as s:
        p = s.get(Paper, paper.id)
        sessions.pause(s, p)
        assert (p.state, p.deadline, p.remaining_ms) == ("paused", None, 20 * 60 * 1000)
    clock.advance(5 * 60)  # a five-minute power cut
    with db.session_scope(url) as s:
        p = s.get(Paper, paper.id)
        assert sessions.remaining_ms(p) == 20 * 60 * 1000
        sessions.resume(s, p)
        sessions.extend(s, p, 120)
        assert p.deadline == datetime(2026, 11, 27, 8, 37, tzinfo=UTC)  # 8:00 + 30 + 5 paused + 2 extra
        assert sessions.time_payload(p)["remaining_ms"] == 22 * 60 * 1000


def test_audit_chain_detects_an_edited_row(demo: Config) -> None:
    url = demo.sqlalchemy_url
    with db.session_scope(url) as s:
        audit.record(s, "test_event", actor="staff:alice", reason="checking", n=1)
        assert audit.seal_pending(s) >= 2  # the demo's own events plus this one
    with db.session_scope(url) as s:
        assert audit.verify_chain(s) is None
        ev = s.scalar(select(AuditEvent).where(AuditEvent.action == "test_event"))
        ev.reason = "rewritten history"
        target = ev.id
    with db.session_scope(url) as s:
        assert audit.verify_chain(s) == target
