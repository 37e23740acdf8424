"""Score a finished paper from its stored answers and the item versions it showed, and sign a receipt."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import clock
from ground.models import Candidate, Exam, Paper, Result
from scoring import codes
from scoring.grading import grade
from scoring.presets import RulesError
from scoring.receipts import answers_digest, canonical_answer, make_receipt
from scoring.store.announcement import exam_rules
from scoring.store.rescoring import AnswerRow, paper_answers, points_for_paper


def score_paper(
    session: Session, paper: Paper, exam: Exam, *, note: str | None = None,
    answers: Iterable[AnswerRow] | None = None, unscored: bool = False,
) -> Result:
    """Compute (or recompute) the paper's Result with the exam's grading rules and the entry path.

    ``answers``: the paper's rows, read already in this transaction; ``unscored``: the caller has just seen that the
    paper has no Result (a submit), so it is not looked up again."""
    candidate = session.get(Candidate, paper.candidate_id)
    assert candidate is not None
    outcome = grade(points_for_paper(session, paper, answers), exam_rules(exam), candidate.entry_path)
    result = None if unscored else session.scalar(select(Result).where(Result.paper_id == paper.id))
    if result is None:
        result = Result(paper_id=paper.id, exam_id=exam.id, candidate_id=candidate.id)
        session.add(result)
    result.total = outcome.total
    result.subtests = dict(outcome.subtests)
    result.passed = outcome.passed
    result.reasons = list(outcome.reasons)
    if result.code is None:  # provisional until the announcement ranks the formation (P may become P/L)
        result.code = codes.P if outcome.passed else codes.TL
    result.computed_at = clock.now()
    result.note = note
    session.flush()
    return result


def passing_grades(exam: Exam, entry_path: str | None) -> dict[str, Any]:
    """The candidate's public thresholds (per subtest and total) beside their score; rules that do not know the path
    show none."""
    try:
        path = exam_rules(exam).path(entry_path)
    except RulesError:
        return {"subtests": {}, "total": None}
    return {"subtests": {code: float(v) for code, v in path.minimums.items()}, "total": path.total_min}


def receipt_claims(
    session: Session, paper: Paper, exam: Exam, result: Result, answers: Iterable[AnswerRow] | None = None
) -> dict[str, Any]:
    """What a receipt attests: who, which paper, a digest of the final answers, the score, when (``answers``: the
    paper's rows, read already in this transaction)."""
    candidate = session.get(Candidate, paper.candidate_id)
    assert candidate is not None
    rows = paper_answers(session, paper.id) if answers is None else answers
    final = {str(v): canonical_answer(o, many) for v, o, many in rows}
    return {
        "exam": exam.code,
        "participant_no": candidate.participant_no,
        "paper": paper.id,
        "answers_sha256": answers_digest(final),
        "answered": sum(1 for o in final.values() if o is not None),
        "total": result.total,
        "subtests": dict(result.subtests),
        "passed": result.passed,
        "finished_at": clock.isoformat(paper.finished_at) if paper.finished_at else None,
        "reason": paper.finish_reason,
    }


def sign_receipt(
    session: Session, paper: Paper, exam: Exam, result: Result, key: Ed25519PrivateKey,
    answers: Iterable[AnswerRow] | None = None,
) -> str:
    """Sign the receipt once and keep it on the paper, so a second submit returns the same one."""
    if paper.receipt is None:
        paper.receipt = make_receipt(key, receipt_claims(session, paper, exam, result, answers))
    return paper.receipt
