"""The SKD announcement of an exam from the database: every candidate graded, ranked and coded.

Candidates without a finished paper are absent (TH). Writing the codes back onto ``Result.code``
keeps the candidate-facing result and the announcement in agreement.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ground.models import Candidate, Exam, Paper, Result
from scoring.presets import Rules, resolve_rules
from scoring.selection import Entrant, FormationRanking, select_entrants

NO_FORMATION = "-"


@dataclass(frozen=True)
class Seat:
    """What an announcement row points back to: the candidate and their result (None when absent)."""

    candidate: Candidate
    result: Result | None


def exam_rules(exam: Exam) -> Rules:
    """The exam's grading rules (``Exam.grading``; empty means the default SKD preset)."""
    return resolve_rules(exam.grading or {})


def skd_entrants(session: Session, exam: Exam) -> list[Entrant]:
    """One entrant per candidate of the exam, in participant-number order; ``ref`` is a :class:`Seat`."""
    results = {
        r.candidate_id: r
        for r in session.scalars(
            select(Result).join(Paper, Paper.id == Result.paper_id).where(
                Result.exam_id == exam.id, Paper.state == "finished"
            )
        )
    }
    out = []
    for c in session.scalars(select(Candidate).where(Candidate.exam_id == exam.id).order_by(Candidate.participant_no)):
        r = results.get(c.id)
        out.append(
            Entrant(
                participant_no=c.participant_no,
                formation=c.formation or NO_FORMATION,
                quota=int(c.formation_quota or 0),
                scores=dict(r.subtests) if r is not None else None,
                entry_path=c.entry_path,
                name=c.name,
                ref=Seat(c, r),
            )
        )
    return out


def announce_skd(session: Session, exam: Exam, *, store: bool = True) -> list[FormationRanking]:
    """Grade and rank the whole exam per formation and (unless only looking) store each result's code."""
    formations = select_entrants(skd_entrants(session, exam), exam_rules(exam))
    if not store:
        return formations
    for f in formations:
        for row in f.rows:
            seat: Seat = row.entrant.ref
            if seat.result is not None and seat.result.code != row.code:
                seat.result.code = row.code
    session.flush()
    return formations
