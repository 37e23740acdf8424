"""Rooms as the committee sets them up (``room add`` and the console): closed for login, with a token."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import audit, zones
from ground.errors import AppError
from ground.i18n import _
from ground.models import Exam, Room
from ground.passwords import new_room_token

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,60}$")


def add_room(
    session: Session, exam: Exam, code: str, *, name: str = "", capacity: int | None = None,
    start: datetime | None = None, zone: str = zones.DEFAULT_ZONE, actor: str = "system",
) -> Room:
    """A new room of ``exam`` (closed, with a fresh token) whose session starts at ``start`` (timezone-aware, stored
    as UTC) at a site in ``zone`` (WIB, WITA, WIT: every time of the room is shown there)."""
    code = code.strip()
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
    room = Room(exam_id=exam.id, code=code, name=name.strip() or code, token=new_room_token(), is_open=False,
                capacity=capacity, scheduled_start=start, zone=zone)
    session.add(room)
    session.flush()
    audit.record(session, "room.created", actor=actor, exam_id=exam.id, room_id=room.id, code=room.code)
    return room
