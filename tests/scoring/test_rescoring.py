"""Annulled items and rescoring on a real database, with hand-computed scores."""

from __future__ import annotations

import pytest
from scoring_factory import add_candidate, make_exam
from sqlalchemy import select
from sqlalchemy.orm import Session

from ground.models import AuditEvent, Result
from ground.models.scoring import Annulment, RescoreLog
from scoring.store.announcement import announce_skd
from scoring.store.rescoring import RescoreError, annul_items, rescore_exam, versions_of_items

pytestmark = pytest.mark.usefixtures("english")  # the refusals are asserted in their English source form


def results(session: Session, mini) -> dict[str, Result]:
    by_id = {c.id: no for no, c in mini.candidates.items()}
    return {by_id[r.candidate_id]: r for r in session.scalars(select(Result).where(Result.exam_id == mini.exam.id))}


def setup(session: Session):
    mini = make_exam(session)
    # A: TWK both right (10), TIU one right (5), TKP 5+4 (9) = 24, passes
    add_candidate(session, mini, "A", {"TWK": [0, 0], "TIU": [0, 1], "TKP": [0, 1]})
    # B: TWK first right (5), TIU none (0) → fails TIU; TKP 5+5 = 10; total 15
    add_candidate(session, mini, "B", {"TWK": [0, 2], "TIU": [3, None], "TKP": [0, 0]})
    # C: absent
    add_candidate(session, mini, "C", None)
    session.commit()
    return mini


def test_scores_as_computed_by_hand(session: Session) -> None:
    mini = setup(session)
    r = results(session, mini)
    assert (r["A"].total, r["A"].subtests, r["A"].passed) == (24, {"TWK": 10, "TIU": 5, "TKP": 9}, True)
    assert (r["B"].total, r["B"].passed, r["B"].reasons) == (15, False, ["TIU 0 < 5"])


def test_rescoring_without_annulments_reproduces_every_score(session: Session) -> None:
    mini = setup(session)
    before = {k: (v.total, dict(v.subtests), v.passed) for k, v in results(session, mini).items()}
    report = rescore_exam(session, mini.exam, "routine check")
    session.commit()
    assert report.checked == 2 and report.changed == []
    assert {k: (v.total, dict(v.subtests), v.passed) for k, v in results(session, mini).items()} == before
    assert session.scalars(select(RescoreLog)).all() == []


def test_annul_award_gives_everyone_the_points_and_logs_why(session: Session) -> None:
    mini = setup(session)
    tiu2 = mini.versions["TIU"][1].id
    annul_items(session, mini.exam, [tiu2], "award", "two correct options", actor="staff:ketua")
    report = rescore_exam(session, mini.exam, "TIU item 2 annulled", actor="staff:ketua")
    session.commit()
    r = results(session, mini)
    # A: TIU 5 + 5 = 10 → total 29; B: TIU 0 + 5 = 5 → now passes TIU, total 20
    assert (r["A"].total, r["A"].subtests["TIU"]) == (29, 10)
    assert (r["B"].total, r["B"].subtests["TIU"], r["B"].passed, r["B"].reasons) == (20, 5, True, [])
    assert sorted(c.participant_no for c in report.changed) == ["A", "B"]
    logs = session.scalars(select(RescoreLog).order_by(RescoreLog.id)).all()
    assert len(logs) == 2 and all(log.reason == "TIU item 2 annulled" for log in logs)
    b_log = next(log for log in logs if log.candidate_id == mini.candidates["B"].id)
    assert b_log.before["total"] == 15 and b_log.after["total"] == 20 and b_log.before["passed"] is False
    assert r["B"].code == "P/L" and r["A"].code == "P/L"
    actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["items_annulled", "exam_rescored"]


def test_annul_drop_counts_zero_for_everyone(session: Session) -> None:
    mini = setup(session)
    twk2 = mini.versions["TWK"][1].id
    annul_items(session, mini.exam, [twk2], "drop", "ambiguous wording")
    rescore_exam(session, mini.exam, "TWK item 2 dropped")
    session.commit()
    r = results(session, mini)
    assert (r["A"].subtests["TWK"], r["A"].total) == (5, 19)  # lost the 5 they had
    assert (r["B"].subtests["TWK"], r["B"].total) == (5, 15)  # had it wrong: unchanged
    assert len(session.scalars(select(RescoreLog)).all()) == 1


def test_mode_can_change_and_rescoring_is_idempotent(session: Session) -> None:
    mini = setup(session)
    v = mini.versions["TKP"][1].id
    annul_items(session, mini.exam, [v], "drop", "first decision")
    rescore_exam(session, mini.exam, "drop")
    annul_items(session, mini.exam, [v], "award", "second decision")
    rescore_exam(session, mini.exam, "award")
    again = rescore_exam(session, mini.exam, "again")
    session.commit()
    r = results(session, mini)
    assert r["A"].subtests["TKP"] == 10 and r["B"].subtests["TKP"] == 10  # best TKP option: 5
    assert again.changed == []
    assert len(session.scalars(select(Annulment)).all()) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "void"}, "mode must be one of award, drop"),
        ({"reason": "  "}, "needs a reason"),
        ({"versions": []}, "at least one item version"),
        ({"versions": [999999]}, "999999 were not on any paper of exam SKD-T"),
    ],
)
def test_bad_annulments_change_nothing(session: Session, kwargs, message) -> None:
    mini = setup(session)
    args = {"versions": [mini.versions["TWK"][0].id], "mode": "award", "reason": "r"} | kwargs
    with pytest.raises(RescoreError, match=message):
        annul_items(session, mini.exam, args["versions"], args["mode"], args["reason"])
    session.rollback()
    assert session.scalars(select(Annulment)).all() == []
    with pytest.raises(RescoreError, match="needs a reason"):
        rescore_exam(session, mini.exam, "")


def test_versions_of_items(session: Session) -> None:
    mini = setup(session)
    assert versions_of_items(session, ["SKD-T-TIU-1"]) == [mini.versions["TIU"][1].id]
    with pytest.raises(RescoreError, match="unknown item uid"):
        versions_of_items(session, ["nope"])


def test_announcement_codes_absent_and_failed(session: Session) -> None:
    mini = setup(session)
    (f,) = announce_skd(session, mini.exam)
    got = {r.entrant.participant_no: (r.rank, r.code) for r in f.rows}
    assert got == {"A": (1, "P/L"), "B": (None, "TL"), "C": (None, "TH")}


def test_points_for_paper_applies_annulments(session: Session) -> None:
    from ground.models import Paper
    from scoring.store.rescoring import points_for_paper

    mini = setup(session)
    paper = session.scalar(select(Paper).where(Paper.candidate_id == mini.candidates["B"].id))
    assert points_for_paper(session, paper) == {"TWK": 5, "TIU": 0, "TKP": 10}
    annul_items(session, mini.exam, [mini.versions["TIU"][0].id], "award", "key wrong")
    assert points_for_paper(session, paper) == {"TWK": 5, "TIU": 5, "TKP": 10}
