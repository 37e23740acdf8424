"""Moving a candidate to another room or session (``candidates move`` and the console), with the reason on record."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ground import audit
from ground.errors import AppError
from ground.i18n import _
from ground.models import Candidate, Exam, Paper, Room
from ground.staff.accounts import room_by_code

MAX_REASON = 500


def move_candidate(
    session: Session, exam: Exam, participant_no: str, room_code: str, reason: str, *, actor: str = "system"
) -> Candidate:
    """Seat a candidate of ``exam`` in room ``room_code`` (another room or session of the same exam).

    Refused once the candidate's paper has started (a started paper stays where it is),
    when the room is full, or without a reason; one ``candidate.moved`` audit row names both rooms and the reason.
    """
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise AppError("reason_required", _("Give a reason (at most %(n)s characters): it goes into the audit log.",
                                            n=MAX_REASON), 400)
    person = session.scalar(select(Candidate).where(Candidate.exam_id == exam.id,
                                                    Candidate.participant_no == participant_no.strip()))
    if person is None:
        raise AppError("unknown_candidate", _("No candidate %(no)s in exam %(code)s.", no=participant_no,
                                               code=exam.code), 404)
    room = room_by_code(session, room_code)
    if room.exam_id != exam.id:
        raise AppError("other_exam", _("Room %(code)s belongs to another exam.", code=room.code), 409)
    if person.room_id == room.id:
        raise AppError("same_room", _("%(no)s already sits in room %(code)s.", no=person.participant_no,
                                      code=room.code), 409)
    state = session.scalar(select(Paper.state).where(Paper.candidate_id == person.id))
    if state not in (None, "issued"):
        raise AppError("paper_started", _("%(no)s has started the exam: their room can no longer change.",
                                          no=person.participant_no), 409)
    if room.capacity is not None:
        seated = session.scalar(select(func.count()).select_from(Candidate).where(Candidate.room_id == room.id)) or 0
        if seated >= room.capacity:
            raise AppError("room_full", _("Room %(code)s is full (%(n)s seats).", code=room.code, n=room.capacity),
                           409)
    before = session.get(Room, person.room_id) if person.room_id else None
    person.room_id = room.id
    audit.record(session, "candidate.moved", actor=actor, exam_id=exam.id, candidate_id=person.id,
                 room_id=room.id, from_room=before.code if before else None, to_room=room.code, reason=reason)
    return person
