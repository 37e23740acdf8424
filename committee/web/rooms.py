"""The console's rooms and staff page: add rooms (in a session of the exam, or with their start in a site's zone
for an exam without sessions), proctor accounts, who sees which room, disable, reset a password.

Each action is the function ``exam-engine room …`` / ``staff …`` calls (proctor.rooms, ground.staff.accounts),
audited under the staff member's name. A new or reset password is shown once, on a page meant to be printed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import Blueprint, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from candidate.exams import get_exam
from committee.web.console import committee_only, done, in_session, page, room_states
from ground import zones
from ground.errors import AppError
from ground.i18n import _
from ground.models import Exam, Room
from ground.models.staff import RoomAssignment, StaffUser
from ground.runtime import runtime
from ground.staff import accounts
from ground.staff.auth import signed_in_staff
from proctor import exam_sessions
from proctor.rooms import add_room

bp = Blueprint("console_rooms", __name__, url_prefix="/committee/rooms", template_folder="templates")
USER = "<code>"  # the account's username
ROLES = ("proctor", "committee")  # what the console creates; admins come from the command line


def _staff(s: Session) -> list[dict[str, Any]]:
    rooms = dict(s.execute(select(Room.id, Room.code)).all())
    held: dict[int, list[str]] = {}
    for staff_id, room_id in s.execute(select(RoomAssignment.staff_id, RoomAssignment.room_id)):
        held.setdefault(staff_id, []).append(rooms[room_id])
    return [{"username": u.username, "name": u.display_name, "role": u.role, "active": u.active,
             "rooms": sorted(held.get(u.id, []))} for u in s.scalars(select(StaffUser).order_by(StaffUser.username))]


def _page(status: int = 200, **extra: Any) -> Any:
    def load(s: Session) -> dict[str, Any]:
        exams = list(s.scalars(select(Exam).order_by(Exam.created_at)))
        return {"rooms": room_states(s), "staff": _staff(s), "exams": [e.code for e in exams],
                "sittings": [(e.code, [exam_sessions.describe(g) for g in exam_sessions.sessions(s, e)
                                       if g.state != "closed"]) for e in exams]}

    return page("console_rooms.html", status=status, zones=list(zones.ZONES), site_zone=runtime().config.site_zone,
                roles=ROLES, form=extra.pop("form", {}), **in_session(load), **extra)


def _act(work: Any, message: str) -> Any:
    """Run one change; its refusal shows on the page, its success as the next page's message."""
    try:
        in_session(work)
    except AppError as err:
        return _page(err.status, error=err.message)
    return done(message, url_for(".index"))


@bp.get("/")
@committee_only
def index() -> Any:
    """Rooms with their start, seats and proctors; staff accounts with their rooms."""
    return _page()


@bp.post("/")
@committee_only
def create_room() -> Any:
    """Add a room to an exam, in one of its sessions (the room takes the session's start and zone); an exam without
    sessions has rooms of their own, their start typed in the chosen zone (WIB, WITA, WIT) and kept in UTC."""
    form = {k: (request.form.get(k) or "").strip()
            for k in ("exam", "session", "code", "name", "capacity", "start", "zone")}
    actor = signed_in_staff().actor
    try:
        start = zones.parse_local(form["start"], form["zone"]) if form["start"] else None
    except ValueError:
        return _page(400, error=_("The start is a date and time, e.g. 2026-12-01 08:00."), form=form)
    if not form["capacity"].isdigit() and form["capacity"]:
        return _page(400, error=_("Capacity is a number of seats from 1 to 100000."), form=form)
    capacity = int(form["capacity"]) if form["capacity"] else None

    def work(s: Session) -> None:
        exam = get_exam(s, form["exam"])
        sitting = exam_sessions.get_session(s, exam, form["session"]) if form["session"] else None
        if sitting is None and exam_sessions.sessions(s, exam):
            raise AppError("session_needed", _("Exam %(exam)s has sessions: choose the session of the room.",
                                               exam=exam.code), 400)
        add_room(s, exam, form["code"], name=form["name"], capacity=capacity, start=start,
                 zone=form["zone"] or zones.DEFAULT_ZONE, actor=actor, exam_session=sitting)

    try:
        in_session(work)
    except AppError as err:
        return _page(err.status, error=err.message, form=form)
    return done(_("Added room %(code)s.", code=form["code"]), url_for(".index"))


def _new_password() -> str:
    return secrets.token_urlsafe(9)  # 12 characters: above the minimum, printable on a sheet


@bp.post("/staff")
@committee_only
def create_staff() -> Any:
    """A new account (proctor or committee) with a generated password shown once; optionally its first room."""
    form = {k: (request.form.get(k) or "").strip() for k in ("username", "name", "role", "room")}
    actor, password = signed_in_staff().actor, _new_password()
    if form["role"] not in ROLES:
        return _page(400, error=_("Role must be one of: %(roles)s.", roles=", ".join(ROLES)), staff_form=form)

    def work(s: Session) -> None:
        user = accounts.create_staff(s, form["username"], password, form["role"], display_name=form["name"],
                                     actor=actor)
        if form["room"]:
            accounts.assign(s, user.username, form["room"], actor=actor)

    try:
        in_session(work)
    except AppError as err:
        return _page(err.status, error=err.message, staff_form=form)
    return page("console_password.html", username=form["username"].lower(), password=password, created=True)


def _room_change(username: str, change: Callable[..., Any], message: Callable[[str], str]) -> Any:
    """``change`` (accounts.assign or unassign) of the form's room for ``username``; ``message(room)`` after."""
    room, actor = request.form.get("room", ""), signed_in_staff().actor
    return _act(lambda s: change(s, username, room, actor=actor), message(room))


@bp.post(f"/staff/{USER}/assign")
@committee_only
def assign(code: str) -> Any:
    """Give a proctor a room."""
    return _room_change(code, accounts.assign, lambda room: _("Assigned %(rooms)s to %(name)s.", rooms=room, name=code))


@bp.post(f"/staff/{USER}/unassign")
@committee_only
def unassign(code: str) -> Any:
    """Take a room from a proctor."""
    return _room_change(code, accounts.unassign, lambda room: _("Took %(rooms)s from %(name)s.", rooms=room, name=code))


@bp.post(f"/staff/{USER}/active")
@committee_only
def set_active(code: str) -> Any:
    """Disable an account (its sign-ins end at once) or enable it again."""
    username = code
    who = signed_in_staff()
    enable = request.form.get("active") == "1"
    if username == who.username and not enable:
        return _page(400, error=_("You cannot disable your own account."))
    return _act(lambda s: accounts.set_active(s, username, enable, actor=who.actor),
                _("%(name)s is enabled.", name=username) if enable else _("%(name)s is disabled.", name=username))


@bp.post(f"/staff/{USER}/password")
@committee_only
def reset_password(code: str) -> Any:
    """A new generated password, shown once to print; the account's sign-ins end."""
    username = code
    actor, password = signed_in_staff().actor, _new_password()
    try:
        in_session(lambda s: accounts.set_password(s, username, password, actor=actor))
    except AppError as err:
        return _page(err.status, error=err.message)
    return page("console_password.html", username=username, password=password, created=False)


@bp.post(f"/staff/{USER}/reset-link")
@committee_only
def reset_link(code: str) -> Any:
    """A one-time link (valid a day, used once; only its hash is kept) with which the person sets a new password
    themselves; shown once, to hand over."""
    username, actor = code, signed_in_staff().actor
    try:
        token = in_session(lambda s: accounts.issue_reset_link(s, username, actor=actor))
    except AppError as err:
        return _page(err.status, error=err.message)
    return page("console_password.html", username=username.lower(), password=None, created=False,
                link=url_for("staff.reset_page", token=token, _external=True),
                hours=int(accounts.RESET_LINK_VALID.total_seconds() // 3600))
