"""The post-exam review of a practice (tryout) exam: each question with the candidate's answer, the best answer and
the item's explanation — only once the paper is finished, and never for a selection exam (``Exam.practice`` false:
refused). An assessment programme in practice mode makes its sittings' exams practice exams (issue 18)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ground.errors import AppError
from ground.i18n import _
from ground.models import Answer, Exam, Paper, Result
from question_bank.store import explanations, option_points, version_contents


def review(session: Session, paper: Paper) -> dict[str, Any]:
    """The review of a finished paper of a practice exam; AppError ``review_refused`` for any other exam."""
    exam = session.get(Exam, paper.exam_id)
    if exam is None or not exam.practice:
        raise AppError("review_refused", _("This exam allows no review of the answers: only a practice sitting "
                                           "does."), 403)
    if paper.state != "finished":
        raise AppError("not_finished", _("The review opens once your paper is finished."), 409)
    versions = [q["v"] for sub in paper.layout.get("subtests", []) for q in sub["questions"]]
    contents, points, notes = (version_contents(session, versions), option_points(session, versions),
                               explanations(session, versions))
    chosen = {vid: (list(ids) if ids else ([oid] if oid is not None else []))
              for vid, oid, ids in session.execute(select(Answer.item_version_id, Answer.option_id, Answer.option_ids)
                                                   .where(Answer.paper_id == paper.id))}
    result = session.scalar(select(Result).where(Result.paper_id == paper.id))
    out = []
    for sub in paper.layout.get("subtests", []):
        for q in sub["questions"]:
            content, key = contents[q["v"]], points.get(q["v"], {})
            best = max(key.values(), default=0.0)
            texts = {oid: text for oid, text, _media in content.options}
            out.append({"number": len(out) + 1, "subtest": sub["code"], "text": content.text,
                        "options": [{"text": texts.get(o, ""), "points": key.get(o, 0.0),
                                     "chosen": o in chosen.get(q["v"], []), "best": key.get(o, 0.0) == best}
                                    for o in q["o"]],
                        "explanation": notes.get(q["v"]) or ""})
    return {"questions": out, "total": None if result is None else result.total,
            "subtests": {} if result is None else dict(result.subtests), "ranked": False}
