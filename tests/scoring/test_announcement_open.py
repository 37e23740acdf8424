"""The signed SKD announcement: refused while a paper is open, subtests in BKN's order, printed in the site's zone."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from scoring_factory import add_candidate, make_exam
from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import clock
from ground.models import Paper, Result, Room
from scoring.signing import verify_file
from scoring.store.announcement import PapersStillOpen, announce_skd, export_skd, open_papers
from scoring.store.rescoring import preview_annulment, rescore_exam
from tests.documents import pdf_words

SKD_2024 = {"preset": "skd-2024", "subtests": {"TKP": {"max": 10}, "TIU": {"min": 5, "max": 10},
                                             "TWK": {"min": 5, "max": 10}}}  # keys in another order on purpose


def _exam(session: Session):
    mini = make_exam(session, grading=SKD_2024)
    add_candidate(session, mini, "A", {"TWK": [0, 0], "TIU": [0, 1], "TKP": [0, 1]})
    b = add_candidate(session, mini, "B", {"TWK": [0, 2], "TIU": [0, None], "TKP": [0, 0]})
    paper = session.scalar(select(Paper).where(Paper.candidate_id == b.id))
    paper.state, paper.finished_at = "started", None
    session.delete(session.scalar(select(Result).where(Result.paper_id == paper.id)))
    session.commit()
    return mini


def test_refused_while_a_paper_is_open_naming_it(session: Session, tmp_path: Path, english) -> None:
    mini = _exam(session)
    key = Ed25519PrivateKey.generate()
    with pytest.raises(PapersStillOpen) as exc:
        export_skd(session, mini.exam, "pdf", tmp_path / "a.pdf", key, "WIB")
    assert [p.participant_no for p in exc.value.papers] == ["B"]
    assert "1 paper(s) of SKD-T are not finished yet: B (-, working)" in str(exc.value)
    assert not (tmp_path / "a.pdf").exists()
    session.rollback()
    # looking is allowed (nothing stored): B shows as absent there, which is why storing waits
    (f,) = announce_skd(session, mini.exam, store=False)
    assert [r.code for r in f.rows if r.entrant.participant_no == "B"] == ["TH"]
    # a rescoring mid-exam still works; the codes wait for the announcement
    rescore_exam(session, mini.exam, "routine")
    paper = session.scalar(select(Paper).where(Paper.state == "started"))
    paper.state, paper.finished_at, paper.finish_reason = "finished", clock.now(), "submitted"
    session.commit()
    assert open_papers(session, mini.exam) == []
    export_skd(session, mini.exam, "csv", tmp_path / "a.csv", key, "WIB")


def test_issued_papers_are_open_until_their_session_is_over(session: Session, tmp_path: Path) -> None:
    mini = _exam(session)
    b_paper = session.scalar(select(Paper).where(Paper.state == "started"))
    b_paper.state = "issued"
    room = Room(exam_id=mini.exam.id, code="R1", name="Ruang 1", scheduled_start=clock.now() - timedelta(seconds=60))
    session.add(room)
    session.flush()
    mini.candidates["B"].room_id = room.id
    session.commit()
    assert [(p.participant_no, p.room, p.state) for p in open_papers(session, mini.exam)] == [("B", "R1", "issued")]
    room.scheduled_start = clock.now() - timedelta(seconds=mini.exam.duration_s + 1)  # the session is over
    session.commit()
    assert open_papers(session, mini.exam) == []  # B never came: absent, announced TH


def test_subtests_in_bkn_order_and_time_in_the_sites_zone(session: Session, tmp_path: Path) -> None:
    mini = _exam(session)
    paper = session.scalar(select(Paper).where(Paper.state == "started"))
    paper.state = "finished"
    session.commit()
    key = Ed25519PrivateKey.generate()
    clock.freeze(clock.parse_iso("2026-12-01T01:30:00Z"))
    try:
        export_skd(session, mini.exam, "csv", tmp_path / "a.csv", key, "WITA")
        sig = export_skd(session, mini.exam, "pdf", tmp_path / "a.pdf", key, "WITA")
    finally:
        clock.unfreeze()
    header = next(csv.reader((tmp_path / "a.csv").open(encoding="utf-8-sig")))
    assert header[header.index("entry_path") + 1:][:3] == ["TWK", "TIU", "TKP"]
    words = pdf_words((tmp_path / "a.pdf").read_bytes())
    assert "dicetak 01-12-2026 09:30 WITA" in words and "UTC" not in words
    assert words.index("TWK") < words.index("TIU") < words.index("TKP")
    assert verify_file(tmp_path / "a.pdf", key.public_key(), sig).sha256


def test_annulment_preview_shows_before_and_after_and_keeps_nothing(session: Session) -> None:
    mini = _exam(session)
    before = {r.id: (r.total, dict(r.subtests)) for r in session.scalars(select(Result))}
    tiu2 = mini.versions["TIU"][1].id
    report = preview_annulment(session, mini.exam, [tiu2], "award", "two keys", actor="staff:ketua")
    (change,) = report.changed
    assert change.participant_no == "A" and change.before["subtests"]["TIU"] == 5
    assert change.after["subtests"]["TIU"] == 10 and change.after["total"] == change.before["total"] + 5
    session.commit()
    assert {r.id: (r.total, dict(r.subtests)) for r in session.scalars(select(Result))} == before
    from ground.models import AuditEvent
    from ground.models.scoring import Annulment, RescoreLog
    assert session.scalars(select(Annulment)).all() == [] and session.scalars(select(RescoreLog)).all() == []
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "items_annulled")) is None


def test_explicit_subtests_keep_their_order() -> None:
    """The rules cache once sorted the grading's keys, so an exam without a preset announced TIU, TKP, TWK."""
    from scoring_factory import MINI_RULES

    from scoring.presets import resolve_rules

    assert resolve_rules(MINI_RULES).subtests == ("TWK", "TIU", "TKP")
    assert resolve_rules({"subtests": {"B": {}, "A": {}}}).subtests == ("B", "A")
    assert resolve_rules({"subtests": {"A": {}, "B": {}}}).subtests == ("A", "B")


def test_a_look_ranks_exactly_as_the_stored_announcement(session: Session) -> None:
    """Looking and storing rank and code alike, and the codes stored are the ones announced."""
    mini = make_exam(session)
    picks = [{"TWK": [0, 0], "TIU": [0, 0], "TKP": [0, 0]}, {"TWK": [0, 1], "TIU": [0, 0], "TKP": [0, 0]},
             {"TWK": [0, 0], "TIU": [0, 0], "TKP": [0, 1]}, {"TWK": [1, 1], "TIU": [0, None], "TKP": [1, 1]}]
    for i, p in enumerate(picks * 3):
        add_candidate(session, mini, f"N{i:02d}", p, formation=f"F{i % 2}", quota=2, gpa=3.0 + i / 10,
                      birth_date=date(1990 + i % 4, 1, 1))
    add_candidate(session, mini, "ABSENT", None, formation="F0", quota=2)
    session.commit()

    def plain(formations) -> list:
        return [(f.label, f.quota, [(r.entrant.participant_no, r.entrant.name, r.rank, r.total, r.code, r.passed,
                                     r.reasons, r.entrant.entry_path, r.entrant.ref.candidate.id,
                                     None if r.entrant.ref.result is None else r.entrant.ref.result.id)
                                    for r in f.rows]) for f in formations]

    looked = plain(announce_skd(session, mini.exam, store=False))
    stored = plain(announce_skd(session, mini.exam))
    assert looked == stored and len(looked) == 2
    assert {row[4] for f in looked for row in f[2]} >= {"P/L", "TL", "TH"}  # ranked, failed and absent alike
    session.commit()
    codes = dict(session.execute(select(Result.id, Result.code)).all())
    assert {row[9]: row[4] for f in looked for row in f[2] if row[9] is not None} == codes


def test_results_held_in_the_session_read_the_codes_just_stored(session: Session) -> None:
    """Storing writes the codes by id from plain rows: a Result this session loaded before reads the new code too
    (not the one it was loaded with), and a code changed on it but not flushed is not what the ranking keeps."""
    mini = make_exam(session)
    add_candidate(session, mini, "A", {"TWK": [0, 0], "TIU": [0, 0], "TKP": [0, 0]}, quota=1)
    add_candidate(session, mini, "B", {"TWK": [0, 1], "TIU": [0, 0], "TKP": [0, 1]}, quota=1)
    session.commit()
    held = {r.id: r for r in session.scalars(select(Result))}
    first = next(iter(held.values()))
    before = {rid: r.code for rid, r in held.items()}
    first.code = "XX"  # a pending change the announcement must neither trust nor keep
    (f,) = announce_skd(session, mini.exam)
    announced = {r.entrant.ref.result.id: r.code for r in f.rows}
    assert any(before[rid] != code for rid, code in announced.items() if rid != first.id)  # one moved in the db
    assert {rid: r.code for rid, r in held.items()} == announced and "XX" not in announced.values()
    assert "XX" not in {r.code for r in session.dirty if isinstance(r, Result)}
    session.commit()
    session.expire_all()
    assert dict(session.execute(select(Result.id, Result.code)).all()) == announced
