"""Rooms as the committee sets them up (``room add`` and the console): closed for login, with a token."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import audit, zones
from ground.errors import AppError
from ground.i18n import _
from ground.models import Exam, ExamSession, Room
from ground.passwords import new_room_token

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,60}$")


def add_room(
    session: Session, exam: Exam, code: str, *, name: str = "", capacity: int | None = None,
    start: datetime | None = None, zone: str = zones.DEFAULT_ZONE, actor: str = "system",
    exam_session: ExamSession | None = None,
) -> Room:
    """A new room of ``exam`` (closed, with a fresh token) whose session starts at ``start`` (timezone-aware, stored
    as UTC) at a site in ``zone`` (WIB, WITA, WIT: every time of the room is shown there). In ``exam_session`` the
    room takes that session's start and zone."""
    code = code.strip()
    if exam_session is not None:
        if exam_session.exam_id != exam.id:
            raise AppError("unknown_session", _("Exam %(exam)s has no session %(code)s.", exam=exam.code,
                                                code=exam_session.code), 404)
        if exam_session.state == "closed":
            raise AppError("session_closed", _("Session %(code)s is closed.", code=exam_session.code), 409)
        start, zone = exam_session.starts_at, exam_session.zone
    if not CODE_RE.match(code):
        raise AppError("bad_room_code", _("Room codes are short: letters, digits, dot, dash, underscore."), 400)
    if start is not None and start.tzinfo is None:
        raise AppError("naive_start", _("--start needs a time zone, e.g. +07:00 for WIB."), 400)
    if zone not in zones.ZONES:
        raise AppError("bad_zone", _("The time zone is one of %(zones)s.", zones=", ".join(zones.ZONES)), 400)
    if capacity is not None and not 1 <= capacity <= 100_000:
        raise AppError("bad_capacity", _("Capacity is a number of seats from 1 to 100000."), 400)
    if session.scalar(select(Room.id).where(Room.code == code)) is not None:
        raise AppError("room_exists", _("Room %(code)s exists already.", code=code), 409)
    room = Room(exam_id=exam.id, code=code, name=name.strip() or code, token=new_room_token(),
                capacity=capacity, scheduled_start=start, zone=zone,
                session_id=exam_session.id if exam_session is not None else None,
                is_open=exam_session is not None and exam_session.state == "open")
    session.add(room)
    session.flush()
    audit.record(session, "room.created", actor=actor, exam_id=exam.id, room_id=room.id, code=room.code,
                 sitting=exam_session.code if exam_session is not None else None)
    return room
