"""The audit check: every finished paper's receipt, stored answers, stored score and the audit chain agree.

A committee runs it before announcing (and an auditor after): it proves that what candidates were given as a
signed receipt is what is stored and scored, and that the log of who did what was not edited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from candidate.results import receipt_claims
from ground import audit
from ground.errors import AppError
from ground.i18n import _
from ground.models import Answer, AuditEvent, Candidate, Exam, Paper, Result
from scoring.grading import grade
from scoring.receipts import ReceiptError, verify_receipt
from scoring.store.announcement import exam_rules
from scoring.store.rescoring import points_for_paper

TOLERANCE = 1e-9
IDENTITY_CLAIMS = ("exam", "participant_no", "paper", "answers_sha256", "finished_at", "reason")


@dataclass(frozen=True)
class PaperProblem:
    """One finished paper that fails the check, and every reason why."""

    exam: str
    participant_no: str
    paper_id: int
    reasons: list[str]


@dataclass
class AuditReport:
    """What the check looked at and what it found."""

    exams: list[str] = field(default_factory=list)
    papers_checked: int = 0
    problems: list[PaperProblem] = field(default_factory=list)
    chain_sealed: int = 0
    chain_unsealed: int = 0
    chain_broken_at: int | None = None

    @property
    def ok(self) -> bool:
        """True when no paper fails and the audit chain is intact."""
        return not self.problems and self.chain_broken_at is None


def _differs(a: float, b: float) -> bool:
    return abs(float(a) - float(b)) > TOLERANCE


def _score_reasons(result: Result | None, fresh: Any) -> list[str]:
    """The stored result against a fresh rescore from the stored answers and the exam's current annulments."""
    if result is None:
        return [_("no stored result")]
    stored_subtests = dict(result.subtests or {})
    if (
        _differs(result.total, fresh.total)
        or set(stored_subtests) != set(fresh.subtests)
        or any(_differs(stored_subtests[k], fresh.subtests[k]) for k in stored_subtests)
    ):
        stored, rescored = format(result.total, "g"), format(fresh.total, "g")
        return [_("stored score %(stored)s differs from a fresh rescore (%(fresh)s)", stored=stored, fresh=rescored)]
    if bool(result.passed) != bool(fresh.passed):
        return [_("stored pass/fail differs from a fresh rescore")]
    return []


def _receipt_reasons(
    session: Session, public: Ed25519PublicKey, paper: Paper, exam: Exam, result: Result | None
) -> list[str]:
    """The receipt is signed by this installation and attests this paper and exactly its stored answers."""
    if not paper.receipt:
        return [_("no receipt")]
    try:
        claims = verify_receipt(public, paper.receipt)
    except ReceiptError as exc:
        return [_("receipt invalid: %(why)s", why=str(exc))]
    if result is None:
        return []
    expected = receipt_claims(session, paper, exam, result)
    reasons = []
    for name in IDENTITY_CLAIMS:
        if claims.get(name) != expected[name]:
            if name == "answers_sha256":
                reasons.append(_("the receipt's answers digest does not match the stored answers"))
            else:
                reasons.append(_("the receipt names another %(claim)s (%(value)s)", claim=name,
                                 value=str(claims.get(name))))
    return reasons


def _late_answers(session: Session, exam_ids: list[int]) -> dict[int, int]:
    """Per finished paper, how many answers carry a save time after the paper finished."""
    rows = session.execute(
        select(Answer.paper_id, func.count())
        .join(Paper, Paper.id == Answer.paper_id)
        .where(Paper.exam_id.in_(exam_ids), Paper.state == "finished", Answer.saved_at > Paper.finished_at)
        .group_by(Answer.paper_id)
    )
    return {int(pid): int(n) for pid, n in rows}


def check(session: Session, public: Ed25519PublicKey, exam_code: str | None = None) -> AuditReport:
    """Check every finished paper (of one exam, or of all) and the whole audit chain; changes nothing."""
    query = select(Exam).order_by(Exam.id)
    if exam_code is not None:
        query = query.where(Exam.code == exam_code)
    exams = list(session.scalars(query))
    if exam_code is not None and not exams:
        raise AppError("unknown_exam", _("No exam with code %(code)s.", code=exam_code), 404)
    report = AuditReport(exams=[e.code for e in exams])
    late = _late_answers(session, [e.id for e in exams]) if exams else {}
    for exam in exams:
        rules = exam_rules(exam)
        papers = list(session.scalars(
            select(Paper).where(Paper.exam_id == exam.id, Paper.state == "finished").order_by(Paper.id)
        ))
        results = {r.paper_id: r for r in session.scalars(select(Result).where(Result.exam_id == exam.id))}
        candidates = {c.id: c for c in session.scalars(select(Candidate).where(Candidate.exam_id == exam.id))}
        for paper in papers:
            report.papers_checked += 1
            cand = candidates[paper.candidate_id]
            result = results.get(paper.id)
            reasons = _receipt_reasons(session, public, paper, exam, result)
            reasons += _score_reasons(result, grade(points_for_paper(session, paper), rules, cand.entry_path))
            if late.get(paper.id):
                reasons.append(_("%(n)s answer(s) saved after the paper finished", n=late[paper.id]))
            if reasons:
                report.problems.append(PaperProblem(exam.code, cand.participant_no, paper.id, reasons))
    report.chain_broken_at = audit.verify_chain(session)
    report.chain_sealed = int(session.scalar(select(func.count()).where(AuditEvent.hash != "")) or 0)
    report.chain_unsealed = int(session.scalar(select(func.count()).where(AuditEvent.hash == "")) or 0)
    return report


def report_lines(report: AuditReport) -> list[str]:
    """The report as an operator reads it: each failing paper with why, the chain, a one-line verdict."""
    lines = [_("Checked %(n)s finished paper(s) of %(exams)s exam(s).", n=report.papers_checked,
               exams=len(report.exams))]
    for p in report.problems:
        lines.append(_("FAIL %(exam)s %(no)s (paper %(paper)s): %(why)s", exam=p.exam, no=p.participant_no,
                       paper=p.paper_id, why="; ".join(p.reasons)))
    if report.chain_broken_at is not None:
        lines.append(_("FAIL audit chain: row %(id)s was edited, or a row before it was deleted.",
                       id=report.chain_broken_at))
    else:
        lines.append(_("Audit chain intact: %(sealed)s sealed row(s), %(unsealed)s not sealed yet.",
                       sealed=report.chain_sealed, unsealed=report.chain_unsealed))
    if report.ok:
        lines.append(_("OK: every receipt, stored answer and score agrees."))
    else:
        lines.append(_("%(n)s problem(s) found.", n=len(report.problems) + (report.chain_broken_at is not None)))
    return lines
