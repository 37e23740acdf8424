"""The committee's report is kept sealed and served again until another paper finishes; per language; never moved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from analysis_data import DbExam, build_exam
from sqlalchemy import func, select, update

from ground import clock, db
from ground.models import Paper
from ground.models.analysis import AnalysisReport, ItemStatistic
from scoring.analysis.responses import AnalysisInputError
from scoring.store.analysis_reports import committee_report, current_report


def _kept(db_url: str) -> list[AnalysisReport]:
    with db.session_scope(db_url) as s:
        rows = list(s.scalars(select(AnalysisReport).order_by(AnalysisReport.exam_id, AnalysisReport.locale)))
        s.expunge_all()
        return rows


def _statistics(db_url: str) -> int:
    with db.session_scope(db_url) as s:
        return int(s.scalar(select(func.count()).select_from(ItemStatistic)) or 0)


def test_kept_until_another_paper_finishes(db_url: str, db_exam: DbExam, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAM_LOCALE", "en")
    first_at = clock.freeze()
    assert current_report(db_url, db_exam.code) is None  # nothing kept yet: the page starts a job
    first = committee_report(db_url, db_exam.code)
    assert first["generated_at"] == first_at.isoformat() and _statistics(db_url) == 0  # viewing writes no statistics
    (row,) = _kept(db_url)
    assert row.exam_id == db_exam.exam_id and row.locale == "en"
    assert b"key_suspect" not in row.sealed and b"TIU-" not in row.sealed  # sealed: the report shows the key

    clock.advance(timedelta(hours=2))
    assert committee_report(db_url, db_exam.code) == first  # kept: not computed again
    assert current_report(db_url, db_exam.code) == first

    with db.session_scope(db_url) as s:  # an absentee's paper finishes late (its answers: none, all omitted)
        late = s.scalar(select(Paper.id).where(Paper.exam_id == db_exam.exam_id, Paper.state == "issued").limit(1))
        s.execute(update(Paper).where(Paper.id == late).values(state="finished", finished_at=clock.now()))
    assert current_report(db_url, db_exam.code) is None
    second = committee_report(db_url, db_exam.code)
    assert second["generated_at"] == clock.now().isoformat() != first["generated_at"]
    assert second["subtests"][0]["test"]["n"] == first["subtests"][0]["test"]["n"] + 1
    (now_kept,) = _kept(db_url)  # replaced, not added
    assert now_kept.basis != row.basis and now_kept.computed_at == clock.now()

    clock.advance(timedelta(hours=1))  # the same paper finishing again later (reopened and finished) also counts
    with db.session_scope(db_url) as s:
        s.execute(update(Paper).where(Paper.id == late).values(finished_at=clock.now()))
    assert committee_report(db_url, db_exam.code)["generated_at"] == clock.now().isoformat()


def test_storing_statistics_always_recomputes(db_url: str, db_exam: DbExam, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAM_LOCALE", "en")
    clock.freeze()
    viewed = committee_report(db_url, db_exam.code)
    clock.advance(timedelta(minutes=5))
    stored = committee_report(db_url, db_exam.code, store_statistics=True)
    assert stored["generated_at"] == clock.now().isoformat() != viewed["generated_at"]
    assert _statistics(db_url) == 14
    assert current_report(db_url, db_exam.code) == stored  # the recomputed one is kept


def test_one_report_per_language(db_url: str, db_exam: DbExam, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAM_LOCALE", "en")
    english = committee_report(db_url, db_exam.code)
    monkeypatch.setenv("EXAM_LOCALE", "id")
    assert current_report(db_url, db_exam.code) is None  # the English one is not served in Indonesian
    indonesian = committee_report(db_url, db_exam.code)
    assert [r.locale for r in _kept(db_url)] == ["en", "id"]

    def messages(report: dict) -> set[str]:
        return {f["message"] for st in report["subtests"] for it in st["items"] for f in it["flags"]}

    assert messages(english) and messages(english).isdisjoint(messages(indonesian))
    monkeypatch.setenv("EXAM_LOCALE", "en")
    assert current_report(db_url, db_exam.code) == english


def test_a_report_moved_to_another_exam_does_not_open(db_url: str, db_exam: DbExam,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Its seal binds the exam: moved into another exam's row (same basis forged) it is computed again, not shown."""
    monkeypatch.setenv("EXAM_LOCALE", "en")
    with db.session_scope(db_url) as s:
        other = build_exam(s, code="SKD-B", n=60, seed=9, bank=db_exam)
    committee_report(db_url, db_exam.code)
    theirs = committee_report(db_url, other.code)
    with db.session_scope(db_url) as s:
        mine = s.scalar(select(AnalysisReport).where(AnalysisReport.exam_id == db_exam.exam_id))
        s.execute(update(AnalysisReport).where(AnalysisReport.exam_id == other.exam_id)
                  .values(sealed=mine.sealed))
    assert current_report(db_url, other.code) is None
    again = committee_report(db_url, other.code)
    assert again["exam"]["code"] == "SKD-B" and again["subtests"][0]["test"]["n"] == theirs["subtests"][0]["test"]["n"]


def test_an_unknown_exam_is_refused(db_url: str, db_exam: DbExam, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAM_LOCALE", "en")
    for ask in (current_report, committee_report):
        with pytest.raises(AnalysisInputError, match="no exam with code NOPE"):
            ask(db_url, "NOPE")
    assert _kept(db_url) == []
