"""The whole-exam array job (``rescore_exam``) against the per-paper reference (``subtest_points`` + ``grade``), on
papers that try every rule: annulled award/drop, score bounds, multiple-response sets, blanks, an option the question
did not show, an answer to a version not on the paper, entry paths, papers with no answers, unfinished papers."""

from __future__ import annotations

import random
from typing import Any

import pytest
from scoring_factory import MINI_RULES, MiniExam, make_exam
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ground import clock
from ground.models import Answer, Candidate, Item, ItemVersion, Option, Paper, Result
from ground.models.scoring import RescoreLog
from scoring.grading import grade
from scoring.store.announcement import exam_rules
from scoring.store.rescoring import annul_items, points_for_paper, rescore_exam

RULES: dict[str, Any] = MINI_RULES | {"paths": {"cum_laude": {"min": {"TIU": 8}, "total_min": 20},
                                                "disability": {"min": {"TIU": 2}, "total_min": 12}}}
PATHS = ["general", "cum_laude", "disability", "Cum Laude", None]


def more_versions(session: Session, mini: MiniExam, sub: str, points: list[float], n: int, tag: str) -> None:
    """``n`` more item versions in ``sub`` whose options weigh ``points`` (unsealed, as the factory's)."""
    now = clock.now()
    for j in range(n):
        item = Item(uid=f"{mini.exam.code}-{sub}-{tag}{j}", subtest=sub, created_at=now)
        session.add(item)
        session.flush()
        v = ItemVersion(item_id=item.id, version=1, text=f"{sub} {tag}{j}", content_hash=f"{mini.exam.code}{tag}{j}",
                        created_at=now)
        session.add(v)
        session.flush()
        opts = [Option(item_version_id=v.id, position=i, text=f"o{i}", points=p) for i, p in enumerate(points)]
        session.add_all(opts)
        session.flush()
        mini.versions[sub].append(v)
        mini.options[v.id] = [o.id for o in opts]


def bank(session: Session, fractional: bool = False) -> tuple[MiniExam, int]:
    """A mini SKD with a few more versions per subtest (fractional points on request), bounds on some, and one
    multiple-response version in TIU; returns the exam and that version's id."""
    mini = make_exam(session, grading=RULES)
    frac = [0.1, 0.7, 0.2, 0.30000000000000004, 1.1] if fractional else [5, 0, 0, 0, 0]
    more_versions(session, mini, "TWK", frac, 3, "x")
    more_versions(session, mini, "TIU", [5, 0, 0, 0, -1], 3, "x")
    more_versions(session, mini, "TKP", [1, 2, 3, 4, 5], 3, "x")
    more_versions(session, mini, "TIU", [3, 3, 0, -2, 1], 1, "m")
    multiple = mini.versions["TIU"][-1].id
    tkp = mini.versions["TKP"]
    session.execute(update(ItemVersion).where(ItemVersion.id == tkp[2].id).values(score_upper=3.0))
    session.execute(update(ItemVersion).where(ItemVersion.id == mini.versions["TIU"][3].id).values(score_lower=0.0))
    session.execute(update(ItemVersion).where(ItemVersion.id == multiple).values(score_lower=0.0, score_upper=5.0))
    session.flush()
    return mini, multiple


def add_paper(session: Session, mini: MiniExam, no: str, rng: random.Random, multiple: int | None, *,
              state: str = "finished", odd: str | None = None, answers: bool = True) -> Paper:
    """A candidate with a shuffled paper (4 of the subtest's versions each, options shuffled) and random answers:
    blanks, wrong and right options, sets on the multiple-response question (None: none on the paper); ``odd`` bends
    the paper one way."""
    c = Candidate(exam_id=mini.exam.id, participant_no=no, name=f"Peserta {no}", formation=f"F{rng.randrange(3)}",
                  formation_quota=2, entry_path=rng.choice(PATHS), pin_hash="x",
                  extra={})
    session.add(c)
    session.flush()
    mini.candidates[no] = c
    points_of = {o.id: o.points for o in session.scalars(select(Option))}
    subtests = []
    codes = ["TIU", "TWK", "TKP"] if odd == "order" else ["TWK", "TIU", "TKP"]
    for sub in codes:
        pool = [v for v in mini.versions[sub] if v.id != multiple]
        chosen = rng.sample(pool, 4) + ([next(v for v in mini.versions[sub] if v.id == multiple)]
                                        if sub == "TIU" and multiple is not None else [])
        questions = []
        for v in chosen:
            opts = list(mini.options[v.id])
            rng.shuffle(opts)
            q: dict[str, Any] = {"v": v.id, "o": opts}
            if v.id == multiple:
                q["m"] = True
            questions.append(q)
        subtests.append({"code": sub, "title": sub, "questions": questions})
    if odd == "hidden":  # the first TWK question showed four of its five options: not its best one
        first = subtests[0]["questions"][0]
        best = max(mini.options[first["v"]], key=lambda o: points_of[o])
        first["o"] = [o for o in first["o"] if o != best]
    if odd == "twice":  # the same version twice on a paper
        subtests[2]["questions"].append(dict(subtests[2]["questions"][0]))
    now = clock.now()
    paper = Paper(exam_id=mini.exam.id, candidate_id=c.id, seed=1, layout={"subtests": subtests}, package_nonce=b"n",
                  package_ciphertext=b"c", key_wrapped=b"k", state=state, issued_at=now, started_at=now,
                  finished_at=now if state == "finished" else None, finish_reason="submitted")
    session.add(paper)
    session.flush()
    if not answers:
        return paper
    rows = []
    for st in subtests:
        for q in st["questions"]:
            v = int(q["v"])
            if any(r.item_version_id == v for r in rows):
                continue
            roll = rng.random()
            if q.get("m"):
                pick = sorted(rng.sample(mini.options[v], rng.randrange(0, 4)))
                rows.append(Answer(paper_id=paper.id, item_version_id=v, option_ids=pick or None, saved_at=now))
            elif roll < 0.1:
                rows.append(Answer(paper_id=paper.id, item_version_id=v, option_id=None, saved_at=now))  # blank
            elif roll < 0.15:
                pass  # never answered: no row
            else:
                rows.append(Answer(paper_id=paper.id, item_version_id=v, option_id=rng.choice(mini.options[v]),
                                   saved_at=now))
    if odd == "hidden":  # ... and the candidate's answer is the one it did not show
        q = subtests[0]["questions"][0]
        hidden = next(o for o in mini.options[q["v"]] if o not in q["o"])
        rows = [r for r in rows if r.item_version_id != q["v"]]
        rows.append(Answer(paper_id=paper.id, item_version_id=q["v"], option_id=hidden, saved_at=now))
    if odd == "elsewhere":  # an answer to a version this paper never showed (scores nothing)
        shown = {int(q["v"]) for st in subtests for q in st["questions"]}
        stray = next(v for v in mini.versions["TWK"] if v.id not in shown)
        rows.append(Answer(paper_id=paper.id, item_version_id=stray.id, option_id=mini.options[stray.id][0],
                           saved_at=now))
    if odd == "foreign":  # an option id of another version
        q = subtests[1]["questions"][0]
        other = mini.options[mini.versions["TKP"][0].id][0]
        rows = [r for r in rows if r.item_version_id != q["v"]]
        rows.append(Answer(paper_id=paper.id, item_version_id=q["v"], option_id=other, saved_at=now))
    session.add_all(rows)
    session.flush()
    return paper


def build(session: Session, seed: int, fractional: bool = False) -> tuple[MiniExam, int]:
    rng = random.Random(seed)
    mini, multiple = bank(session, fractional)
    for i in range(40):
        add_paper(session, mini, f"N{i:03d}", rng, multiple)
    for i, odd in enumerate(["hidden", "elsewhere", "foreign", "order", "twice", "hidden", "order"]):
        add_paper(session, mini, f"O{i:03d}", rng, multiple, odd=odd)
    add_paper(session, mini, "E000", rng, multiple, answers=False)  # finished, nothing answered
    add_paper(session, mini, "U000", rng, multiple, state="started")  # still open: not scored
    add_paper(session, mini, "U001", rng, multiple, state="issued")
    session.flush()
    return mini, multiple


def reference(session: Session, mini: MiniExam) -> dict[int, dict[str, Any]]:
    """Per finished paper: the result the per-paper path gives (``points_for_paper`` + ``grade``)."""
    rules = exam_rules(mini.exam)
    out = {}
    for paper in session.scalars(select(Paper).where(Paper.exam_id == mini.exam.id, Paper.state == "finished")):
        cand = session.get(Candidate, paper.candidate_id)
        g = grade(points_for_paper(session, paper), rules, cand.entry_path)
        out[paper.id] = {"total": g.total, "subtests": g.subtests, "passed": g.passed, "reasons": g.reasons}
    return out


def stored(session: Session, mini: MiniExam) -> dict[int, dict[str, Any]]:
    session.expire_all()
    return {r.paper_id: {"total": r.total, "subtests": dict(r.subtests), "passed": r.passed, "reasons": r.reasons}
            for r in session.scalars(select(Result).where(Result.exam_id == mini.exam.id))}


@pytest.mark.parametrize("fractional", [False, True])
def test_whole_exam_matches_the_per_paper_reference(session: Session, fractional: bool) -> None:
    mini, multiple = build(session, 11 if fractional else 7, fractional)
    first = rescore_exam(session, mini.exam, "first scoring")
    want = reference(session, mini)
    assert first.checked == len(want) == 48 and len(first.changed) == 48  # 40 + 7 odd + 1 empty; open ones not
    got = stored(session, mini)
    assert got == want  # exactly: the same floats, reasons and pass/fail
    assert {r["passed"] for r in got.values()} == {True, False}
    assert len({r["total"] for r in got.values()}) > 10
    assert len(session.scalars(select(RescoreLog)).all()) == 48

    again = rescore_exam(session, mini.exam, "routine check")  # every result unchanged: no log row
    assert again.checked == 48 and again.changed == []
    assert len(session.scalars(select(RescoreLog)).all()) == 48

    twk = mini.versions["TWK"][0].id
    tkp = mini.versions["TKP"][2].id  # bounded at 3
    annul_items(session, mini.exam, [twk], "award", "two keys")
    annul_items(session, mini.exam, [tkp], "drop", "ambiguous")
    after = rescore_exam(session, mini.exam, "objection upheld")
    want2 = reference(session, mini)
    got2 = stored(session, mini)
    assert got2 == want2
    changed = {p for p in want if want[p] != want2[p]}
    assert 0 < len(changed) < 48
    assert len(after.changed) == len(changed)
    logs = session.scalars(select(RescoreLog).where(RescoreLog.reason == "objection upheld")).all()
    by_candidate = {p.candidate_id: p.id for p in session.scalars(select(Paper))}
    assert {by_candidate[log.candidate_id] for log in logs} == changed
    assert all(log.before["total"] == want[by_candidate[log.candidate_id]]["total"] for log in logs)
    assert all(log.after == want2[by_candidate[log.candidate_id]] for log in logs)

    annul_items(session, mini.exam, [multiple], "award", "no right set")  # the multiple one's best, clamped at 5
    rescore_exam(session, mini.exam, "objection upheld again")
    want3 = reference(session, mini)
    assert stored(session, mini) == want3 and want3 != want2


def test_open_and_empty_papers(session: Session) -> None:
    mini, _multiple = build(session, 3)
    rescore_exam(session, mini.exam, "first scoring")
    got = stored(session, mini)
    papers = {p.candidate_id: p for p in session.scalars(select(Paper))}
    assert papers[mini.candidates["U000"].id].id not in got and papers[mini.candidates["U001"].id].id not in got
    empty = got[papers[mini.candidates["E000"].id].id]
    assert empty["total"] == 0 and empty["subtests"] == {"TWK": 0, "TIU": 0, "TKP": 0} and not empty["passed"]


def test_an_exam_with_no_finished_paper(session: Session) -> None:
    rng = random.Random(5)
    mini, multiple = bank(session)
    add_paper(session, mini, "U000", rng, multiple, state="started")
    report = rescore_exam(session, mini.exam, "nothing to score yet")
    assert (report.checked, report.changed) == (0, [])
    assert session.scalars(select(Result)).all() == []


def test_a_mode_neither_award_nor_drop_scores_as_answered(session: Session) -> None:
    from ground.models.scoring import Annulment

    mini, _multiple = build(session, 9)
    v = mini.versions["TWK"][0].id
    session.add(Annulment(exam_id=mini.exam.id, item_version_id=v, mode="void", reason="r", created_at=clock.now()))
    session.flush()
    rescore_exam(session, mini.exam, "as the reference takes it")
    assert stored(session, mini) == reference(session, mini)


def test_codes_written_with_the_results_are_the_announcements(session: Session) -> None:
    """The rescoring ranks from the scores in hand and writes the codes with the results: exactly the codes the
    announcement computes from the stored results, after a first scoring, an annulment, and a quota change that
    moves codes while no score moves; none while a paper is still open."""
    from scoring.store.announcement import announce_skd

    mini, _multiple = build(session, 13)

    def codes() -> dict[int, str | None]:
        session.expire_all()
        return {r.candidate_id: r.code for r in session.scalars(select(Result).where(Result.exam_id == mini.exam.id))}

    def announced() -> dict[int, str]:
        return {row.entrant.ref.candidate.id: row.code for f in announce_skd(session, mini.exam, store=False)
                for row in f.rows if row.entrant.ref.result is not None}

    rescore_exam(session, mini.exam, "first scoring")  # U000 is still working: no codes yet
    assert set(codes().values()) == {None}

    session.execute(update(Paper).where(Paper.candidate_id == mini.candidates["U000"].id).values(state="finished"))
    rescore_exam(session, mini.exam, "U000 finished")
    first = codes()
    assert first == announced() and None not in first.values() and len(set(first.values())) > 1

    annul_items(session, mini.exam, [mini.versions["TIU"][0].id], "drop", "ambiguous")
    rescore_exam(session, mini.exam, "objection upheld")
    second = codes()
    assert second == announced()

    session.execute(update(Candidate).where(Candidate.exam_id == mini.exam.id).values(formation_quota=1))
    report = rescore_exam(session, mini.exam, "quota corrected")  # no score moves, codes do
    third = codes()
    assert report.changed == [] and third == announced() and third != second
