"""The console's exam sessions (*sesi*): schedule one at a site in its zone, add its rooms, open it (the exam key is
released at the first opening) with its code typed again, close it; and the session's overview: every room on one
screen with its live state, each linking to the room's proctor view.

Each action is the function ``exam-engine session …`` / ``room add --session`` calls (proctor.exam_sessions,
proctor.rooms), audited under the staff member's name.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for
from sqlalchemy.orm import Session

from candidate.exams import get_exam
from committee.web.console import committee_only, done, in_session, page, room_states
from committee.web.exams import detail_page
from ground import zones
from ground.errors import AppError
from ground.i18n import _
from ground.runtime import runtime
from ground.staff.auth import signed_in_staff
from proctor import exam_sessions
from proctor.rooms import add_room

bp = Blueprint("console_sessions", __name__, url_prefix="/committee/exams/<code>/sessions",
               template_folder="templates")
SESSION = "<sitting>"


def _overview(code: str, sitting: str) -> dict[str, Any]:
    def load(s: Session) -> dict[str, Any]:
        exam = get_exam(s, code)
        row = exam_sessions.get_session(s, exam, sitting)
        rooms = [r for r in room_states(s) if r["session_id"] == row.id]
        return {"exam": {"code": exam.code, "title": exam.title, "released_at": exam.key_released_at},
                "sitting": {**exam_sessions.describe(row), "state_word": exam_sessions.state_word(row.state)},
                "rooms": rooms,
                "totals": {k: sum(r[k] for r in rooms) for k in ("candidates", "present", "incidents")}
                | {w: sum(r["states"].get(w, 0) for r in rooms) for w in ("working", "finished", "disconnected")}}

    return in_session(load)


def _page(code: str, sitting: str, status: int = 200, **extra: Any) -> Any:
    return page("console_session.html", status=status, form=extra.pop("form", {}), **_overview(code, sitting),
                **extra)


@bp.post("/")
@committee_only
def create(code: str) -> Any:
    """Schedule a session of the exam at a site: its start typed in the site's zone (WIB, WITA, WIT), kept in UTC."""
    form = {k: (request.form.get(k) or "").strip() for k in ("session", "label", "site", "zone", "start")}
    actor = signed_in_staff().actor
    zone = form["zone"] or runtime().config.site_zone

    def work(s: Session) -> str:
        try:
            start = zones.parse_local(form["start"], zone) if form["start"] else None
        except ValueError:
            start = None
        return exam_sessions.add_session(s, get_exam(s, code), form["session"], site=form["site"], zone=zone,
                                         start=start, label=form["label"], actor=actor).code

    try:
        made = in_session(work)
    except AppError as err:
        return detail_page(code, status=err.status, session_error=err.message, session_form=form)
    return done(_("Added session %(code)s.", code=made), url_for("console_exams.detail", code=code))


@bp.get(f"/{SESSION}")
@committee_only
def overview(code: str, sitting: str) -> Any:
    """Every room of the session on one screen: present, working, finished, incidents; each to its proctor view."""
    return _page(code, sitting)


@bp.post(f"/{SESSION}/rooms")
@committee_only
def create_room(code: str, sitting: str) -> Any:
    """Add a room (its seats) to the session: it takes the session's start and zone."""
    form = {k: (request.form.get(k) or "").strip() for k in ("room", "name", "capacity")}
    actor = signed_in_staff().actor
    if not form["capacity"].isdigit():
        return _page(code, sitting, 400, error=_("Capacity is a number of seats from 1 to 100000."), form=form)

    def work(s: Session) -> None:
        exam = get_exam(s, code)
        add_room(s, exam, form["room"], name=form["name"], capacity=int(form["capacity"]), actor=actor,
                 exam_session=exam_sessions.get_session(s, exam, sitting))

    try:
        in_session(work)
    except AppError as err:
        return _page(code, sitting, err.status, error=err.message, form=form)
    return done(_("Added room %(code)s.", code=form["room"]), url_for(".overview", code=code, sitting=sitting))


@bp.post(f"/{SESSION}/open")
@committee_only
def open_session(code: str, sitting: str) -> Any:
    """Open the session (its rooms open for login; the exam key is released if no session did): only when the
    session's code is typed again."""
    actor = signed_in_staff().actor
    if (request.form.get("confirm") or "").strip() != sitting:
        return _page(code, sitting, 400, error=_("Type the session code %(code)s to confirm the opening.",
                                                 code=sitting))
    try:
        in_session(lambda s: exam_sessions.open_session(s, get_exam(s, code), sitting, actor=actor))
    except AppError as err:
        return _page(code, sitting, err.status, error=err.message)
    return done(_("Session %(code)s is open: its candidates can log in.", code=sitting),
                url_for(".overview", code=code, sitting=sitting))


@bp.post(f"/{SESSION}/close")
@committee_only
def close_session(code: str, sitting: str) -> Any:
    """Close the session: no new sign-ins in its rooms (who started finishes)."""
    actor = signed_in_staff().actor
    try:
        in_session(lambda s: exam_sessions.close_session(s, get_exam(s, code), sitting, actor=actor))
    except AppError as err:
        return _page(code, sitting, err.status, error=err.message)
    return done(_("Session %(code)s is closed.", code=sitting), url_for(".overview", code=code, sitting=sitting))
