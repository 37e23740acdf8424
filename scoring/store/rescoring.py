"""Annulling items and rescoring an exam from the stored answers and the item versions each paper showed.

Every changed result gets a :class:`RescoreLog` row (before, after, why) and the run an audit event, so
a committee can show exactly what an annulment did to whom.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ground import audit, bank_seal, clock
from ground.bulk import gc_paused_call
from ground.i18n import _
from ground.models import Annulment, Answer, Candidate, Exam, ItemVersion, Paper, Result
from ground.models.scoring import RescoreLog
from scoring.grading import grade
from scoring.points import ANNUL_MODES, Choice, layout_versions, stored_choice, subtest_points
from scoring.store.announcement import announce_skd, exam_rules, open_papers

CHUNK = 900  # stay under SQLite's bound-parameter limit


class RescoreError(ValueError):
    """An annulment or rescoring request that cannot be carried out; nothing was changed (the message translated)."""


@dataclass(frozen=True)
class RescoreChange:
    """One result that changed: whose, and the before/after snapshots."""

    participant_no: str
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass
class RescoreReport:
    """What a rescoring run did: how many results were checked and which changed."""

    exam: str
    checked: int = 0
    changed: list[RescoreChange] = field(default_factory=list)


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ids = sorted(set(ids))
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


@gc_paused_call
def annul_items(
    session: Session, exam: Exam, version_ids: Iterable[int], mode: str, reason: str, actor: str = "system"
) -> list[Annulment]:
    """Record annulments (or change their mode); every version must have been on a paper of this exam."""
    ids = sorted(set(int(v) for v in version_ids))
    if mode not in ANNUL_MODES:
        raise RescoreError(_("annulment mode must be one of %(modes)s, got %(mode)r", modes=", ".join(ANNUL_MODES),
                             mode=mode))
    if not reason or not reason.strip():
        raise RescoreError(_("an annulment needs a reason (it is published with the rescoring)"))
    if not ids:
        raise RescoreError(_("name at least one item version to annul"))
    shown: set[int] = set()
    for layout in session.scalars(select(Paper.layout).where(Paper.exam_id == exam.id)):
        shown |= layout_versions(layout)
    unknown = [v for v in ids if v not in shown]
    if unknown:
        raise RescoreError(_("item version(s) %(versions)s were not on any paper of exam %(exam)s",
                             versions=", ".join(map(str, unknown)), exam=exam.code))
    existing = {
        a.item_version_id: a
        for a in session.scalars(
            select(Annulment).where(Annulment.exam_id == exam.id, Annulment.item_version_id.in_(ids))
        )
    }
    out = []
    now = clock.now()
    for v in ids:
        a = existing.get(v)
        if a is None:
            a = Annulment(exam_id=exam.id, item_version_id=v, mode=mode, reason=reason.strip(), actor=actor,
                          created_at=now)
            session.add(a)
        else:
            a.mode, a.reason, a.actor, a.created_at = mode, reason.strip(), actor, now
        out.append(a)
    audit.record(session, "items_annulled", actor=actor, exam_id=exam.id, reason=reason.strip(), mode=mode,
                 item_versions=ids)
    session.flush()
    return out


def versions_of_items(session: Session, item_uids: Iterable[str]) -> list[int]:
    """Every version id of the items with these uids (an annulment usually covers all wordings)."""
    from ground.models import Item

    uids = sorted(set(item_uids))
    rows = list(session.execute(select(Item.uid, ItemVersion.id).join(ItemVersion).where(Item.uid.in_(uids))))
    missing = set(uids) - {u for u, _ in rows}
    if missing:
        raise RescoreError(_("unknown item uid(s): %(uids)s", uids=", ".join(sorted(missing))))
    return [v for _, v in rows]


AnswerRow = tuple[int, int | None, list[int] | None]  # (item version id, option id, option ids) as stored


def paper_answers(session: Session, paper_id: int) -> list[AnswerRow]:
    """A paper's stored answers as rows (one read, for the score and the receipt of one submit)."""
    return [tuple(r) for r in session.execute(  # type: ignore[misc]
        select(Answer.item_version_id, Answer.option_id, Answer.option_ids).where(Answer.paper_id == paper_id)
    )]


def points_for_paper(
    session: Session, paper: Paper, answers: Iterable[AnswerRow] | None = None
) -> dict[str, float]:
    """One paper's subtest points from its stored answers (``answers``: read already, in the same transaction), with
    the exam's annulments applied (submit path)."""
    versions = layout_versions(paper.layout)
    points: dict[int, dict[int, float]] = defaultdict(dict, bank_seal.option_points(session, versions))
    rows = paper_answers(session, paper.id) if answers is None else answers
    chosen = {v: stored_choice(o, many) for v, o, many in rows}
    annulled = {v: m for v, m in session.execute(
        select(Annulment.item_version_id, Annulment.mode).where(Annulment.exam_id == paper.exam_id)
    )}
    return subtest_points(paper.layout, chosen, points, annulled, bank_seal.score_bounds(session, versions))


def _snapshot(total: float, subtests: dict[str, float], passed: bool, reasons: list[str]) -> dict[str, Any]:
    return {"total": total, "subtests": dict(subtests), "passed": passed, "reasons": list(reasons)}


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a["passed"] != b["passed"] or a["reasons"] != b["reasons"] or set(a["subtests"]) != set(b["subtests"]):
        return False
    if abs(float(a["total"]) - float(b["total"])) > 1e-9:
        return False
    return all(abs(float(a["subtests"][k]) - float(b["subtests"][k])) <= 1e-9 for k in a["subtests"])


def _answers(session: Session, exam: Exam) -> dict[int, dict[int, Choice]]:
    """Every finished paper's choices in one streamed query (paper id → item version → choice)."""
    chosen: dict[int, dict[int, Choice]] = defaultdict(dict)
    rows = session.execute(
        select(Answer.paper_id, Answer.item_version_id, Answer.option_id, Answer.option_ids)
        .join(Paper, Paper.id == Answer.paper_id)
        .where(Paper.exam_id == exam.id, Paper.state == "finished"),
        execution_options={"yield_per": 50_000},
    )
    for pid, v, o, many in rows:
        chosen[pid][v] = stored_choice(o, many)
    return chosen


@gc_paused_call
def rescore_exam(session: Session, exam: Exam, reason: str, actor: str = "system") -> RescoreReport:
    """Recompute every finished paper's result with the current annulments; log each change.

    Columns, not ORM objects, are read, and the changed results and their log rows are written in batches: an
    exam of 100,000 papers is one pass, not 100,000 flushes."""
    if not reason or not reason.strip():
        raise RescoreError(_("a rescoring needs a reason (it is logged with every changed result)"))
    why = reason.strip()
    session.flush()
    rules = exam_rules(exam)
    papers = session.execute(
        select(Paper.id, Paper.candidate_id, Paper.layout).where(Paper.exam_id == exam.id, Paper.state == "finished")
    ).all()
    annulled = dict(session.execute(
        select(Annulment.item_version_id, Annulment.mode).where(Annulment.exam_id == exam.id)
    ).all())
    versions: set[int] = set()
    for p in papers:
        versions |= layout_versions(p.layout)
    points: dict[int, dict[int, float]] = defaultdict(dict, bank_seal.option_points(session, versions))
    bounds = bank_seal.score_bounds(session, versions)
    chosen = _answers(session, exam)
    results = {r.paper_id: r for r in session.execute(
        select(Result.id, Result.paper_id, Result.total, Result.subtests, Result.passed, Result.reasons)
        .where(Result.exam_id == exam.id)
    )}
    candidates = {c.id: c for c in session.execute(
        select(Candidate.id, Candidate.participant_no, Candidate.entry_path).where(Candidate.exam_id == exam.id)
    )}
    report = RescoreReport(exam.code)
    now = clock.now()
    note = f"rescored: {why}"
    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    logs: list[dict[str, Any]] = []  # result_id filled in for new results once they have ids
    for paper in papers:
        cand = candidates[paper.candidate_id]
        outcome = grade(
            subtest_points(paper.layout, chosen.get(paper.id, {}), points, annulled, bounds), rules, cand.entry_path
        )
        after = _snapshot(outcome.total, outcome.subtests, outcome.passed, outcome.reasons)
        result = results.get(paper.id)
        report.checked += 1
        values = {"total": outcome.total, "subtests": dict(outcome.subtests), "passed": outcome.passed,
                  "reasons": list(outcome.reasons), "computed_at": now, "note": note}
        if result is not None:
            before = _snapshot(result.total, result.subtests, result.passed, list(result.reasons or []))
            if _same(before, after):
                continue
            updates.append({"id": result.id, **values})
        else:
            before = {}
            inserts.append({"paper_id": paper.id, "exam_id": exam.id, "candidate_id": cand.id, **values})
        logs.append({"exam_id": exam.id, "result_id": result.id if result is not None else None,
                     "candidate_id": cand.id, "before": before, "after": after, "reason": why, "actor": actor,
                     "at": now, "paper_id": paper.id})
        report.changed.append(RescoreChange(cand.participant_no, before, after))
    if updates:
        session.execute(update(Result), updates)
    if inserts:
        made = session.execute(insert(Result).returning(Result.paper_id, Result.id), inserts).all()
        new_ids = dict(made)
        for log in logs:
            if log["result_id"] is None:
                log["result_id"] = new_ids[log["paper_id"]]
    if logs:
        session.execute(insert(RescoreLog), [{k: v for k, v in log.items() if k != "paper_id"} for log in logs])
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Result):  # the batched writes bypassed them: read again on next use
            session.expire(obj)
    audit.record(session, "exam_rescored", actor=actor, exam_id=exam.id, reason=why,
                 checked=report.checked, changed=len(report.changed), annulled=sorted(annulled))
    if not open_papers(session, exam):  # mid-exam the codes wait for the announcement, which refuses until then
        announce_skd(session, exam)
    session.flush()
    return report


def preview_annulment(session: Session, exam: Exam, version_ids: Iterable[int], mode: str, reason: str,
                      actor: str = "system") -> RescoreReport:
    """What annulling would do to whom, by the very functions that would do it, then rolled back: nothing stays."""
    savepoint = session.begin_nested()
    try:
        annul_items(session, exam, version_ids, mode, reason, actor)
        return rescore_exam(session, exam, reason, actor)
    finally:
        savepoint.rollback()
        session.expire_all()


@dataclass(frozen=True)
class ShownItem:
    """An item version that was on at least one paper of the exam: what an annulment can name."""

    version_id: int
    uid: str
    subtest: str
    version: int
    papers: int
    annulled: str | None  # the current annulment's mode, if any


@gc_paused_call
def shown_items(session: Session, exam: Exam) -> list[ShownItem]:
    """Every item version on a paper of the exam, by subtest and uid, with how many papers showed it."""
    from ground.models import Item

    counts: dict[int, int] = defaultdict(int)
    for layout in session.scalars(select(Paper.layout).where(Paper.exam_id == exam.id)):
        for v in layout_versions(layout):
            counts[v] += 1
    modes = dict(session.execute(select(Annulment.item_version_id, Annulment.mode)
                                 .where(Annulment.exam_id == exam.id)).all())
    out = []
    for chunk in _chunks(counts):
        for vid, uid, subtest, version in session.execute(
            select(ItemVersion.id, Item.uid, Item.subtest, ItemVersion.version).join(Item)
            .where(ItemVersion.id.in_(chunk))
        ):
            out.append(ShownItem(vid, uid, subtest or "", version, counts[vid], modes.get(vid)))
    return sorted(out, key=lambda i: (i.subtest, i.uid, i.version))
