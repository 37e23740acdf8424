"""The committee console's home and what every console page shares: who may enter, one transaction, one message.

Pages call the same library functions as the ``exam-engine`` commands; this module only runs them in a
database transaction off the event loop (``in_session``), turns a refusal into the page's error and a success
into a one-line message on the next page (``done``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, redirect, render_template, session
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from candidate.exams import bank_problems, exam_overview
from ground import clock, db, zones
from ground.concurrency import run_blocking
from ground.i18n import _, lazy_gettext
from ground.models import AuditEvent, Candidate, Exam, Paper, Room
from ground.models.staff import RoomAssignment
from ground.runtime import runtime
from ground.staff.auth import staff_required
from proctor import exam_sessions
from proctor.board import status
from question_bank.blueprint import BlueprintError, load_blueprint

T = TypeVar("T")
COMMITTEE = ("admin", "committee")
FLASH_KEY = "console_flash"
PAPER_STATES = {"issued": lazy_gettext("issued"), "started": lazy_gettext("started"),
                "paused": lazy_gettext("paused"), "finished": lazy_gettext("finished")}  # a paper's life, as shown
bp = Blueprint("console", __name__, url_prefix="/committee", template_folder="templates")
committee_only = staff_required(*COMMITTEE)


def in_session(work: Callable[[Session], T]) -> T:
    """Run ``work`` in one transaction on the installation's database, on the thread pool."""
    db_url = runtime().db_url

    def run() -> T:
        with db.session_scope(db_url) as s:
            return work(s)

    return run_blocking(run)


def done(message: str, target: str) -> Response:
    """Redirect after a successful POST with a message shown once on the next page."""
    session[FLASH_KEY] = message
    return redirect(target)  # type: ignore[return-value]


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """Render a console page with the message a previous POST left."""
    return render_template(template, flash_message=session.pop(FLASH_KEY, None), **context), status


def room_states(s: Session) -> list[dict[str, Any]]:
    """Every room with its exam, seats, proctors and how many of its papers are in each dashboard state."""
    proctors: dict[int, int] = dict(s.execute(  # type: ignore[arg-type]
        select(RoomAssignment.room_id, func.count()).group_by(RoomAssignment.room_id)).all())
    counts: dict[int, dict[str, int]] = {}
    papers = s.execute(select(Paper, Candidate.room_id).join(Candidate, Candidate.id == Paper.candidate_id))
    for paper, room_id in papers:
        word = status(paper)
        counts.setdefault(room_id, {}).setdefault(word, 0)
        counts[room_id][word] += 1
    seated: dict[int, int] = dict(s.execute(  # type: ignore[arg-type]
        select(Candidate.room_id, func.count()).group_by(Candidate.room_id)).all())
    incidents: dict[int, int] = dict(s.execute(  # type: ignore[arg-type]  the proctors' actions: the incident log
        select(AuditEvent.room_id, func.count()).where(AuditEvent.action.like("proctor.%"))
        .group_by(AuditEvent.room_id)).all())
    today = {zone: zones.local(clock.now(), zone, "%Y-%m-%d") for zone in zones.ZONES}
    out = []
    for room in s.scalars(select(Room).order_by(Room.scheduled_start, Room.code)):
        out.append({
            "id": room.id, "session_id": room.session_id, "code": room.code, "name": room.name,
            "exam": room.exam.code, "is_open": room.is_open,
            "start": room.scheduled_start, "zone": room.zone, "capacity": room.capacity,
            "candidates": seated.get(room.id, 0), "proctors": proctors.get(room.id, 0),
            "states": counts.get(room.id, {}), "incidents": incidents.get(room.id, 0),
            "present": sum(n for word, n in counts.get(room.id, {}).items() if word != "not_signed_in"),
            "today": bool(room.scheduled_start) and zones.local(room.scheduled_start, room.zone, "%Y-%m-%d")
            == today.get(room.zone),
        })
    return out


def exam_sessions_view(s: Session, exam_code: str, rooms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The exam's sessions, each with its rooms' counts (for the exam page and the home)."""
    exam = s.scalar(select(Exam).where(Exam.code == exam_code))
    if exam is None:
        return []
    out = []
    for row in exam_sessions.sessions(s, exam):
        mine = [r for r in rooms if r["session_id"] == row.id]
        out.append({**exam_sessions.describe(row), "exam": exam.code, "rooms": [r["code"] for r in mine],
                    "candidates": sum(r["candidates"] for r in mine), "capacity": sum(r["capacity"] or 0 for r in mine),
                    "state_word": exam_sessions.state_word(row.state)})
    return out


def next_steps(s: Session, exams: list[dict[str, Any]], rooms: list[dict[str, Any]]) -> list[str]:
    """What needs doing next: rooms without a proctor, candidates without a paper, exams not open yet."""
    todo = []
    if not exams:
        todo.append(_("Import a question bank, then create the first exam."))
    for r in rooms:
        if not r["proctors"]:
            todo.append(_("Room %(code)s has no proctor.", code=r["code"]))
    for e in exams:
        exam_id = s.scalar(select(Exam.id).where(Exam.code == e["code"]))
        unissued = s.scalar(
            select(func.count()).select_from(Candidate).outerjoin(Paper, Paper.candidate_id == Candidate.id)
            .where(Candidate.exam_id == exam_id, Paper.id.is_(None))) or 0
        if unissued:
            todo.append(_("Exam %(code)s: %(n)s candidates have no paper yet.", code=e["code"], n=unissued))
        if not e["released"]:
            exam = s.get(Exam, exam_id)
            try:
                short = exam is not None and bank_problems(s, load_blueprint(exam.blueprint))
            except BlueprintError as err:  # a stored blueprint that no longer reads is a task, not a broken home
                todo.append(_("Exam %(code)s: its blueprint cannot be read: %(why)s", code=e["code"], why=str(err)))
                short = False
            if short:
                todo.append(_("Exam %(code)s: the bank can no longer fill every paper (see the exam).",
                              code=e["code"]))
        for g in exam_sessions_view(s, e["code"], rooms):
            if not g["rooms"] and g["state"] != "closed":
                todo.append(_("Exam %(code)s: session %(session)s has no rooms yet.", code=e["code"],
                              session=g["code"]))
        if not e["candidates"]:
            todo.append(_("Exam %(code)s has no candidates yet.", code=e["code"]))
        elif not e["released"]:
            todo.append(_("Exam %(code)s is not open yet (open it on the day).", code=e["code"]))
    return todo


@bp.get("/")
@committee_only
def home() -> Any:
    """Every exam, today's and upcoming sessions (each to its overview) and room at a glance, what needs doing next."""

    def load(s: Session) -> dict[str, Any]:
        exams = exam_overview(s)
        rooms = room_states(s)
        sittings = sorted((g for e in exams for g in exam_sessions_view(s, e["code"], rooms) if g["state"] != "closed"),
                          key=lambda g: (g["start"], g["exam"], g["code"]))
        return {"exams": exams, "rooms": rooms, "sessions": sittings, "todo": next_steps(s, exams, rooms)}

    return page("console_home.html", **in_session(load))


@bp.app_template_filter("paper_state")
def paper_state(state: str) -> str:
    """A paper's state in the reader's language."""
    return str(PAPER_STATES.get(state, state))


@bp.app_template_filter("local_time")
def local_time(dt: Any, zone: str | None = None) -> str:
    """A time in the site's zone (EXAM_SITE_ZONE, WIB by default), labelled: ``2026-12-01 08:00 WIB``."""
    return zones.local(dt, zone or runtime().config.site_zone)
