"""A sitting of a programme is an exam of the engine: made from the programme's blueprint (candidate.exams), its
candidates made by the roster (proctor.roster: the one way candidates are made, rooms and PINs included), papers
issued ahead; receipts and signed results as for any exam."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment import programmes
from assessment.staff import opened
from candidate.exams import create_exam
from candidate.papers import issue_papers
from ground import audit, clock, tables, zones
from ground.errors import AppError
from ground.i18n import _
from ground.models import Candidate, Exam
from ground.models.assessment import (
    AssessmentInvitation,
    AssessmentProgramme,
    AssessmentSeat,
    AssessmentSitting,
    StaffMember,
)
from proctor import roster
from question_bank.blueprint import load_preset

HEADER = ["participant_no", "name", "birth_date", "formation", "entry_path", "session", "room"]


def participant_no(member_id: int) -> str:
    """A staff member's participant number in every sitting (their row id: no NIP on a card or a board)."""
    return f"ASN{member_id:07d}"


def create(session: Session, programme: AssessmentProgramme, code: str, room: str, master_key: bytes, *,
           held_at: datetime | None = None, zone: str = zones.DEFAULT_ZONE, actor: str
           ) -> tuple[Exam, list[roster.Issued]]:
    """An exam from the programme's blueprint with every invited staff member of the target group as a candidate in
    ``room`` (made when missing), papers issued; the PINs for the cards. Refused whole, with the reason (a day
    outside the programme's windows, as the site in ``zone`` reads it, included)."""
    held_at = held_at or clock.now()
    programmes.check_window(programme, held_at, zone)
    members = [m for m in session.scalars(select(StaffMember).join(
        AssessmentInvitation, AssessmentInvitation.staff_id == StaffMember.id).where(
        AssessmentInvitation.programme_id == programme.id).order_by(StaffMember.id))
        if programmes.in_target(programme, m.unit, m.position)]
    if not members:
        raise AppError("nobody_invited", _("Nobody of the target group is invited to %(code)s yet.",
                                           code=programme.code), 409)
    title = f"{programme.name} — {code}"
    exam = create_exam(session, code, title, load_preset(programme.blueprint), master_key, actor=actor)
    exam.practice = programme.practice  # a tryout's candidates may see the review after finishing; no ranking
    rows = []
    for line, m in enumerate(members, start=2):
        fields = opened(session, m)
        if not fields.get("birth_date"):
            raise AppError("no_birth_date", _("%(name)s has no birth date on record.", name=fields.get("name")), 409)
        rows.append((line, dict(zip(HEADER, [participant_no(m.id), fields["name"], fields["birth_date"], m.unit,
                                             "general", "", room], strict=True))))
    try:
        checked = roster.check(session, exam, tables.Table(HEADER, rows))
        issued = roster.add(session, exam, checked, actor=actor)
    except roster.RosterError as exc:
        raise AppError("roster_refused", "; ".join(f"{line}: {msg}" for line, msg in exc.problems), 409) from None
    sitting = AssessmentSitting(programme_id=programme.id, exam_id=exam.id, held_at=held_at,
                                created_by=actor, created_at=clock.now())
    session.add(sitting)
    session.flush()
    ids = {no: cid for no, cid in session.execute(
        select(Candidate.participant_no, Candidate.id).where(Candidate.exam_id == exam.id))}
    for m in members:
        session.add(AssessmentSeat(sitting_id=sitting.id, staff_id=m.id, candidate_id=ids[participant_no(m.id)]))
    issue_papers(session, exam, master_key, actor=actor)
    audit.record(session, "assessment.sitting_created", actor=actor, exam_id=exam.id, programme=programme.code,
                 candidates=len(members))
    return exam, issued


def listing(session: Session, programme: AssessmentProgramme) -> list[dict[str, Any]]:
    """The programme's sittings, oldest first, with their exam."""
    out = []
    for sitting, exam in session.execute(
            select(AssessmentSitting, Exam).join(Exam, Exam.id == AssessmentSitting.exam_id)
            .where(AssessmentSitting.programme_id == programme.id).order_by(AssessmentSitting.held_at)):
        seats = len(list(session.scalars(select(AssessmentSeat.id).where(AssessmentSeat.sitting_id == sitting.id))))
        out.append({"exam": exam.code, "state": exam.state, "held_at": sitting.held_at, "seats": seats})
    return out
