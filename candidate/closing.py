"""Finish a paper and score it, once, whoever asks (the candidate, the deadline, a proctor)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from candidate import sessions
from candidate.results import passing_grades, score_paper, sign_receipt
from ground import db, events
from ground.errors import AppError
from ground.i18n import _
from ground.models import Result
from scoring.store.rescoring import paper_answers


@dataclass(frozen=True)
class Closed:
    """The outcome of closing: the result and receipt, and whether this call was the one that closed it."""

    paper_id: int
    reason: str
    result: dict[str, Any]
    receipt: str
    closed_now: bool
    room_id: int | None
    exam_id: int
    candidate_id: int
    participant_no: str


def close_paper(
    db_url: str, paper_id: int, reason: str, key: Ed25519PrivateKey, *, actor: str = "system", note: str | None = None
) -> Closed:
    """Finish (if not yet), score, sign; a second call returns the same result and receipt."""
    with db.session_scope(db_url, grouped=True) as session:  # many finish at once at the deadline
        paper, exam, candidate = sessions.paper_exam_candidate(session, paper_id)
        if paper.state == "issued":
            raise AppError("not_started", _("The exam has not started yet."), 409)
        closed_now = sessions.finish(session, paper, reason, actor=actor, note=note)
        result = session.scalar(select(Result).where(Result.paper_id == paper.id))
        # the paper is finished and its write lock held: its answers are read once, for the score and the receipt
        answers = paper_answers(session, paper.id) if result is None or paper.receipt is None else []
        if result is None:
            result = score_paper(session, paper, exam, answers=answers, unscored=True)
        receipt = sign_receipt(session, paper, exam, result, key, answers)
        closed = Closed(
            paper_id=paper.id, reason=paper.finish_reason or reason,
            result={**sessions.result_payload(result), "passing": passing_grades(exam, candidate.entry_path)},
            receipt=receipt, closed_now=closed_now, room_id=candidate.room_id, exam_id=exam.id,
            candidate_id=candidate.id, participant_no=candidate.participant_no,
        )
    if closed.closed_now:
        events.publish(
            events.SUBMITTED, exam_id=closed.exam_id, room_id=closed.room_id, candidate_id=closed.candidate_id,
            paper_id=closed.paper_id, participant_no=closed.participant_no, reason=closed.reason, result=closed.result,
        )
    return closed
