"""An exam's sessions (*sesi*; BKN runs four a day): a start at a site in its time zone, with its rooms.

A session is ``scheduled`` → ``open`` → ``closed``. Opening it releases the exam key if no earlier session did (once
per exam, ``candidate.papers.release_exam``) and opens its rooms for login; ``candidate.sessions.login`` lets a
candidate of a room in a session sign in only while that session is open. Closing it stops new sign-ins (a started
candidate finishes). Rooms made before sessions existed (``room add`` without ``--session``) have no session and keep
their own gate: the room's open flag and the exam's key release.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from candidate.papers import release_exam
from ground import audit, clock, zones
from ground.errors import AppError
from ground.i18n import _
from ground.models import Exam, ExamSession, Room

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
STATES = ("scheduled", "open", "closed")


def add_session(session: Session, exam: Exam, code: str, *, site: str, zone: str, start: datetime | None,
                label: str = "", actor: str) -> ExamSession:
    """A new scheduled session of ``exam`` at ``site`` (in ``zone``: WIB, WITA, WIT) starting at ``start``
    (timezone-aware, kept in UTC)."""
    code, site = code.strip(), " ".join(site.split())
    if not CODE_RE.match(code):
        raise AppError("bad_session_code", _("Session codes are short: letters, digits, dot, dash, underscore."), 400)
    if not site or len(site) > 255:
        raise AppError("bad_site", _("Name the site of the session (at most 255 characters)."), 400)
    if zone not in zones.ZONES:
        raise AppError("bad_zone", _("The time zone is one of %(zones)s.", zones=", ".join(zones.ZONES)), 400)
    if start is None or start.tzinfo is None:
        raise AppError("bad_start", _("The start is a date and time, e.g. 2026-12-01 08:00."), 400)
    if session.scalar(select(ExamSession.id).where(ExamSession.exam_id == exam.id, ExamSession.code == code)):
        raise AppError("session_exists", _("Exam %(exam)s has a session %(code)s already.", exam=exam.code,
                                           code=code), 409)
    row = ExamSession(exam_id=exam.id, code=code, label=label.strip()[:255], site=site, zone=zone, starts_at=start,
                      state="scheduled")
    session.add(row)
    session.flush()
    audit.record(session, "session.created", actor=actor, exam_id=exam.id, sitting=code, site=site, zone=zone,
                 start=start.isoformat())
    return row


def get_session(session: Session, exam: Exam, code: str) -> ExamSession:
    """The session ``code`` of ``exam``; a 404 when there is none."""
    row = session.scalar(select(ExamSession).where(ExamSession.exam_id == exam.id, ExamSession.code == code.strip()))
    if row is None:
        raise AppError("unknown_session", _("Exam %(exam)s has no session %(code)s.", exam=exam.code, code=code), 404)
    return row


def sessions(session: Session, exam: Exam) -> list[ExamSession]:
    """The exam's sessions in the order they start."""
    return list(session.scalars(select(ExamSession).where(ExamSession.exam_id == exam.id)
                                .order_by(ExamSession.starts_at, ExamSession.code)))


def rooms_of(session: Session, row: ExamSession) -> list[Room]:
    return list(session.scalars(select(Room).where(Room.session_id == row.id).order_by(Room.code)))


def open_session(session: Session, exam: Exam, code: str, *, actor: str) -> ExamSession:
    """Open a scheduled session: the exam key is released (the first opening does it), its rooms open for login."""
    row = get_session(session, exam, code)
    if row.state != "scheduled":
        raise AppError("session_not_scheduled", _("Session %(code)s is %(state)s: only a scheduled session opens.",
                                                  code=row.code, state=state_word(row.state)), 409)
    rooms = rooms_of(session, row)
    if not rooms:
        raise AppError("session_without_rooms", _("Session %(code)s has no rooms yet.", code=row.code), 409)
    release_exam(session, exam, actor=actor)  # once per exam: a later session's opening finds it released
    row.state, row.opened_at, row.opened_by = "open", clock.now(), actor
    for room in rooms:
        room.is_open = True
    audit.record(session, "session.opened", actor=actor, exam_id=exam.id, sitting=row.code,
                 rooms=[r.code for r in rooms])
    return row


def close_session(session: Session, exam: Exam, code: str, *, actor: str) -> ExamSession:
    """Close an open session: no new sign-ins in its rooms; candidates who started finish their papers."""
    row = get_session(session, exam, code)
    if row.state != "open":
        raise AppError("session_not_open", _("Session %(code)s is not open.", code=row.code), 409)
    rooms = rooms_of(session, row)
    row.state, row.closed_at, row.closed_by = "closed", clock.now(), actor
    for room in rooms:
        room.is_open = False
    audit.record(session, "session.closed", actor=actor, exam_id=exam.id, sitting=row.code,
                 rooms=[r.code for r in rooms])
    return row


def state_word(state: str) -> str:
    """A session's state in the reader's language."""
    return {"scheduled": _("scheduled"), "open": _("open"), "closed": _("closed")}.get(state, state)


def describe(row: ExamSession) -> dict[str, Any]:
    """A session as the pages and the CLI show it (times in the site's zone, labelled)."""
    return {"id": row.id, "code": row.code, "label": row.label, "site": row.site, "zone": row.zone,
            "start": row.starts_at, "state": row.state, "local_start": zones.local(row.starts_at, row.zone),
            "opened_at": row.opened_at, "opened_by": row.opened_by, "closed_at": row.closed_at,
            "closed_by": row.closed_by}
