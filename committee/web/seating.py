"""The console's seating of a recruitment's eligible applicants in an exam's sessions by site (``exam-engine
recruitment export --by-site``): each eligible (MS) applicant not yet exported becomes a candidate in a session at
their preferred site, by the rooms' free seats (``registration.export.export_eligible``).

The preview runs that very function and rolls it back: who goes to which session and room, or the refusal naming
the site that has no session or too few seats. The confirmation runs it again, refused when the seating is no longer
the one previewed; it writes the PIN list for the login cards in the data folder (owner-only, as the candidates
import does) and is audited under the staff member's name (``registration.exported``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import Blueprint, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from candidate.exams import get_exam
from committee.web.console import committee_only, done, in_session, page
from ground import clock
from ground.errors import AppError
from ground.i18n import _
from ground.models import Candidate, Exam, ExamSession, Room
from ground.models.registration import Application, Recruitment
from ground.runtime import runtime
from ground.staff.auth import signed_in_staff
from proctor import exam_sessions, roster
from registration import export

bp = Blueprint("console_seating", __name__, url_prefix="/committee/exams/<code>/seating",
               template_folder="templates")


def _recruitments(s: Session) -> list[dict[str, Any]]:
    """Every recruitment with how many eligible applicants are not yet candidates of an exam."""
    waiting = dict(s.execute(select(Application.recruitment_id, func.count()).where(
        Application.result == "MS", Application.candidate_id.is_(None)).group_by(Application.recruitment_id)).all())
    return [{"code": r.code, "name": r.name, "eligible": waiting.get(r.id, 0)}
            for r in s.scalars(select(Recruitment).order_by(Recruitment.id))]


def _sessions(s: Session, exam: Exam) -> list[dict[str, Any]]:
    """The exam's sessions that take candidates (not closed), with their rooms' free seats."""
    out = []
    for row in exam_sessions.sessions(s, exam):
        if row.state == "closed":
            continue
        rooms = exam_sessions.rooms_of(s, row)
        seated = dict(s.execute(select(Candidate.room_id, func.count()).where(
            Candidate.room_id.in_([r.id for r in rooms])).group_by(Candidate.room_id)).all())
        free = sum(max(0, r.capacity - seated.get(r.id, 0)) for r in rooms if r.capacity is not None)
        out.append({**exam_sessions.describe(row), "rooms": len(rooms), "free": free})
    return out


def _page(code: str, status: int = 200, **extra: Any) -> Any:
    def load(s: Session) -> dict[str, Any]:
        exam = get_exam(s, code)
        return {"exam": {"code": exam.code, "title": exam.title}, "recruitments": _recruitments(s),
                "sessions": _sessions(s, exam)}

    return page("console_seating.html", status=status, **in_session(load), **extra)


def _seated(s: Session, issued: list[roster.Issued]) -> list[dict[str, Any]]:
    """Where each new candidate sits: session, site, room; and the site they asked for."""
    numbers = [i.participant_no for i in issued]
    rows = s.execute(select(Candidate.participant_no, Candidate.name, Application.site, ExamSession.code,
                            ExamSession.site, Room.code)
                     .join(Room, Room.id == Candidate.room_id).join(ExamSession, ExamSession.id == Room.session_id)
                     .join(Application, Application.candidate_id == Candidate.id)
                     .where(Candidate.participant_no.in_(numbers)))
    found = {r[0]: r for r in rows}
    return [{"no": n, "name": found[n][1], "wanted": " ".join((found[n][2] or "").split()), "session": found[n][3],
             "site": found[n][4], "room": found[n][5]} for n in numbers]


def _digest(seats: list[dict[str, Any]]) -> str:
    """A fingerprint of the seating shown, so that the confirmation does what the preview showed."""
    text = "\n".join(f"{p['no']} {p['room']}" for p in seats)
    return hashlib.sha256(text.encode()).hexdigest()


def _recruitment_field() -> str:
    return (request.form.get("recruitment") or "").strip()[:64]


@bp.get("/")
@committee_only
def index(code: str) -> Any:
    """Choose the recruitment whose eligible applicants take this exam; the sessions and their free seats."""
    return _page(code)


@bp.post("/preview")
@committee_only
def preview(code: str) -> Any:
    """The seating by site as it would be done (the real export, rolled back), or its refusal; nothing is stored."""
    recruitment, actor = _recruitment_field(), signed_in_staff().actor

    def work(s: Session) -> list[dict[str, Any]]:
        exam = get_exam(s, code)
        savepoint = s.begin_nested()
        try:
            return _seated(s, export.export_eligible(s, recruitment, exam, None, "", actor=actor))
        finally:
            savepoint.rollback()  # a preview changes nothing

    seats, refused = _attempt(code, recruitment, work)
    if refused is not None:
        return refused
    if not seats:
        return _page(code, 409, error=_("Recruitment %(code)s has no eligible applicants left to seat.",
                                        code=recruitment), recruitment=recruitment)
    per_session: dict[tuple[str, str], int] = {}
    for p in seats:
        per_session[(p["session"], p["site"])] = per_session.get((p["session"], p["site"]), 0) + 1
    return _page(code, recruitment=recruitment, seats=seats, digest=_digest(seats),
                 per_session=sorted(per_session.items()))


def _attempt(code: str, recruitment: str, work: Callable[[Session], Any]) -> tuple[Any, Any]:
    """Run a seating step; a refusal comes back as the page saying why (an unknown exam stays a 404)."""
    try:
        return in_session(work), None
    except roster.RosterError as err:
        return None, _page(code, 422, error=_("The eligible applicants cannot be seated:"), problems=err.problems,
                           recruitment=recruitment)
    except AppError as err:
        if err.status == 404 and err.code == "unknown_exam":
            raise
        return None, _page(code, err.status, error=err.message, recruitment=recruitment)


@bp.post("/")
@committee_only
def commit(code: str) -> Any:
    """Seat them as previewed: candidates with new PINs, the PIN list written for the login cards."""
    recruitment, expected = _recruitment_field(), request.form.get("digest", "")
    actor, data_dir = signed_in_staff().actor, runtime().config.data_dir

    def work(s: Session) -> int:
        exam = get_exam(s, code)
        issued = export.export_eligible(s, recruitment, exam, None, "", actor=actor)
        if not issued or _digest(_seated(s, issued)) != expected:
            raise AppError("seating_changed", _("The seating is no longer the one previewed (applicants or seats "
                                                "changed): preview it again; nobody was seated."), 409)
        roster.write_pins(data_dir / f"pins-{exam.code}-{clock.now():%Y%m%dT%H%M%S}.csv", issued)
        return len(issued)  # the PIN list written inside the transaction: no PIN file, no candidates

    n, refused = _attempt(code, recruitment, work)
    if refused is not None:
        return refused
    return done(_("Seated %(n)s eligible applicants of %(code)s by site; their login cards are on the candidates "
                  "page.", n=n, code=recruitment), url_for("console_exams.detail", code=code))
