"""The console's candidates page: import the registration export with a preview, then print login cards per room.

The import is ``proctor.roster`` (read_table, check, add, write_pins), the same as ``exam-engine candidates
import``: the preview checks the whole file and rolls back; the commit checks again, adds, writes the PIN list
(owner-only, in the data folder, as the command does) and may issue the new candidates' papers. Cards are
``proctor.cards.room_cards``, as ``exam-engine cards`` makes them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from candidate.exams import get_exam
from candidate.papers import issue_papers
from committee.web import uploads
from committee.web.console import committee_only, done, in_session, page
from ground import clock
from ground.errors import AppError
from ground.i18n import _
from ground.models import Candidate, Exam, Paper, Room
from ground.runtime import runtime
from ground.staff import accounts
from ground.staff.auth import signed_in_staff
from proctor import people, roster
from proctor.attendance import attendance_pdf
from proctor.cards import room_cards
from proctor.moves import move_candidate

bp = Blueprint("console_candidates", __name__, url_prefix="/committee/candidates", template_folder="templates")
KIND = "candidates"
PINS_RE = re.compile(r"^pins-[A-Za-z0-9._-]{1,64}-\d{8}T\d{6}$")


def _pin_lists(exam_codes: list[str]) -> list[dict[str, Any]]:
    """The PIN lists in the data folder (newest first) with the rooms each covers."""
    out = []
    for path in sorted(runtime().config.data_dir.glob("pins-*.csv"), reverse=True):
        if not PINS_RE.match(path.stem):
            continue
        try:
            people = roster.read_pins(path)
        except (roster.RosterError, OSError, KeyError, TypeError):
            continue
        rooms: dict[str, int] = {}
        for p in people:
            rooms[p.room_code] = rooms.get(p.room_code, 0) + 1
        out.append({"name": path.stem, "rooms": sorted(rooms.items()), "count": len(people)})
    return out


def _index_data(s: Session) -> dict[str, Any]:
    exams = list(s.scalars(select(Exam.code).order_by(Exam.created_at)))
    per_room = s.execute(
        select(Exam.code, Room.code, func.count(Candidate.id)).join(Room, Room.exam_id == Exam.id)
        .outerjoin(Candidate, Candidate.room_id == Room.id).group_by(Exam.code, Room.code).order_by(Room.code)
    ).all()
    return {"exams": exams, "per_room": per_room}


def _page(status: int = 200, **extra: Any) -> Any:
    data = in_session(_index_data)
    return page("console_candidates.html", status=status, pin_lists=_pin_lists(data["exams"]), **data, **extra)


LISTED = 500  # candidates shown at once (a room filter narrows it)


def _people(exam_code: str, room_code: str) -> list[dict[str, Any]]:
    """The candidates of an exam (optionally one room) with where they sit and how far their paper is."""

    def load(s: Session) -> list[dict[str, Any]]:
        q = (select(Candidate, Room.code, Paper.state).join(Exam, Exam.id == Candidate.exam_id)
             .outerjoin(Room, Room.id == Candidate.room_id).outerjoin(Paper, Paper.candidate_id == Candidate.id)
             .where(Exam.code == exam_code))
        if room_code:
            q = q.where(Room.code == room_code)
        return [{"no": c.participant_no, "name": c.name, "formation": c.formation, "quota": c.formation_quota,
                 "entry_path": c.entry_path, "room": code, "paper": state, "photo": bool(c.photo_sha256),
                 "extra_min": (c.extra_time_s or 0) // 60, "large_text": c.large_text,
                 "high_contrast": c.high_contrast}
                for c, code, state in s.execute(q.order_by(Candidate.participant_no).limit(LISTED))]

    return in_session(load)


@bp.get("/")
@committee_only
def index() -> Any:
    """Upload form, candidates per room (and, for a chosen exam, each candidate) and the login cards."""
    exam_code, room_code = request.args.get("exam", "")[:64], request.args.get("room", "")[:64]
    people = _people(exam_code, room_code) if exam_code else []
    return _page(exam=exam_code, room=room_code, people=people, listed=LISTED)


def _check(path: Path, exam_code: str) -> tuple[list[roster.Row], dict[str, bool]]:
    """The whole file checked against the exam (rolled back): its rows and which rooms exist already."""
    table = roster.read_table(path)

    def work(s: Session) -> tuple[list[roster.Row], dict[str, bool]]:
        rows = roster.check(s, get_exam(s, exam_code), table)
        codes = sorted({r.room_code for r in rows})
        have = set(s.scalars(select(Room.code).where(Room.code.in_(codes))))
        s.rollback()
        return rows, {c: c in have for c in codes}

    return in_session(work)


@bp.post("/preview")
@committee_only
def preview() -> Any:
    """Keep the upload and show every row as it would be imported, or every problem by line; nothing is stored."""
    file = request.files.get("file")
    exam_code = (request.form.get("exam") or "").strip()
    issue = request.form.get("issue_papers") == "1"
    try:
        uploads.discard(KIND)
        upload_id = uploads.keep(KIND, file.filename if file else "", file.read() if file else b"", exam=exam_code,
                                 issue=issue)
        path, _kept = uploads.pending(KIND, upload_id)
        rows, rooms = _check(path, exam_code)
    except roster.RosterError as err:
        uploads.discard(KIND)
        return _page(422, problems=err.problems, exam=exam_code)
    except AppError as err:
        uploads.discard(KIND)
        return _page(err.status, error=err.message, exam=exam_code)
    return page("console_candidates_preview.html", rows=rows, rooms=rooms, upload_id=upload_id, exam=exam_code,
                issue=issue, name=path.name)


@bp.post("/commit")
@committee_only
def commit() -> Any:
    """Import the previewed file whole, write the PIN list for the cards, and issue papers when asked."""
    path, kept = uploads.pending(KIND, request.form.get("upload_id", ""))
    exam_code, issue = str(kept["exam"]), bool(kept.get("issue"))
    actor, master_key, data_dir = signed_in_staff().actor, runtime().master_key, runtime().config.data_dir
    table = roster.read_table(path)

    def work(s: Session) -> tuple[int, int, str]:
        exam = get_exam(s, exam_code)
        issued = roster.add(s, exam, roster.check(s, exam, table), actor=actor)
        papers = 0
        if issue:
            people = s.scalars(select(Candidate).where(
                Candidate.exam_id == exam.id, Candidate.participant_no.in_([i.participant_no for i in issued])))
            papers = issue_papers(s, exam, master_key, people, actor=actor)
        target = data_dir / f"pins-{exam.code}-{clock.now():%Y%m%dT%H%M%S}.csv"
        roster.write_pins(target, issued)  # inside the transaction: no PIN file, no candidates
        return len(issued), papers, target.stem

    try:
        n, papers, _pins = in_session(work)
    except roster.RosterError as err:
        return _page(422, problems=err.problems, exam=exam_code)
    except AppError as err:
        return _page(err.status, error=err.message, exam=exam_code)
    uploads.discard(KIND)
    message = _("Imported %(n)s candidates.", n=n)
    if issue:
        message += " " + _("Issued %(n)s papers.", n=papers)
    return done(message, url_for(".index"))


@bp.post("/move")
@committee_only
def move() -> Any:
    """Seat a candidate in another room or session, with the reason (``exam-engine candidates move``)."""
    form = {k: (request.form.get(k) or "").strip() for k in ("exam", "participant_no", "room", "reason")}
    actor = signed_in_staff().actor

    def work(s: Session) -> None:
        move_candidate(s, get_exam(s, form["exam"]), form["participant_no"], form["room"], form["reason"],
                       actor=actor)

    try:
        in_session(work)
    except AppError as err:
        return _page(err.status, move_error=err.message, move_form=form, exam=form["exam"])
    return done(_("%(no)s now sits in room %(code)s.", no=form["participant_no"], code=form["room"]),
                url_for(".index"))


@bp.post("/cancel")
@committee_only
def cancel() -> Any:
    """Drop the previewed file; nothing was imported."""
    uploads.discard(KIND)
    return done(_("Import cancelled: nothing was imported."), url_for(".index"))


@bp.get("/cards/<code>")
@committee_only
def cards(code: str) -> Response:
    """One room's login cards (``?room=``) from the PIN list ``code`` (``exam-engine cards``), as a PDF."""
    pins, room = code, request.args.get("room", "")[:64]
    path = runtime().config.data_dir / f"{pins}.csv"
    if not PINS_RE.match(pins) or not path.is_file():
        raise AppError("unknown_pins", _("No such PIN list."), 404)
    try:
        people = [p for p in roster.read_pins(path) if p.room_code == room]
    except roster.RosterError:
        raise AppError("unknown_pins", _("No such PIN list."), 404) from None
    if not people:
        raise AppError("unknown_room", _("No room with code %(code)s.", code=room), 404)
    pdf = in_session(lambda s: room_cards(s, room, people))
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", room)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="kartu-{safe}.pdf"', "Cache-Control": "no-store"})


@bp.get("/attendance/<code>")
@committee_only
def attendance(code: str) -> Response:
    """Room ``code``'s attendance list (daftar hadir, ``exam-engine attendance``), as a PDF."""
    pdf = in_session(lambda s: attendance_pdf(s, accounts.room_by_code(s, code)))
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", code)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="daftar-hadir-{safe}.pdf"', "Cache-Control": "no-store"})


PERSON = "/person/<code>/<number>"


def _person(code: str, number: str) -> dict[str, Any]:
    def load(s: Session) -> dict[str, Any]:
        exam = get_exam(s, code)
        c = people.candidate_of(s, exam, number)
        room = s.get(Room, c.room_id) if c.room_id else None
        state = s.scalar(select(Paper.state).where(Paper.candidate_id == c.id))
        return {"exam": exam.code, "person": {
            "no": c.participant_no, "name": c.name, "formation": c.formation, "entry_path": c.entry_path,
            "room": room.code if room else None, "paper": state, "photo": bool(c.photo_sha256),
            "extra_min": (c.extra_time_s or 0) // 60, "large_text": c.large_text, "high_contrast": c.high_contrast}}

    return in_session(load)


def _person_page(code: str, number: str, status: int = 200, **extra: Any) -> Any:
    return page("console_candidate.html", status=status, max_kb=people.PHOTO_MAX_BYTES // 1024,
                **_person(code, number), **extra)


@bp.get(PERSON)
@committee_only
def person(code: str, number: str) -> Any:
    """One candidate: where they sit, their photo and accommodations, both editable."""
    return _person_page(code, number)


@bp.post(PERSON + "/photo")
@committee_only
def person_photo(code: str, number: str) -> Any:
    """Upload the candidate's photo (JPEG or PNG, size-capped, decoded to be sure), kept sealed."""
    upload = request.files.get("photo")
    data = upload.read(people.PHOTO_MAX_BYTES + 1) if upload is not None else b""
    actor = signed_in_staff().actor
    try:
        in_session(lambda s: people.set_photo(s, get_exam(s, code), number, data, actor=actor))
    except AppError as err:
        return _person_page(code, number, err.status, photo_error=err.message)
    return done(_("Photo of %(number)s saved.", number=number), url_for(".person", code=code, number=number))


@bp.get(PERSON + "/photo")
@committee_only
def person_photo_image(code: str, number: str) -> Response:
    """The candidate's photo, for the committee's eyes only (never cached)."""

    def load(s: Session) -> tuple[str, bytes] | None:
        return people.photo_of(s, people.candidate_of(s, get_exam(s, code), number))

    found = in_session(load)
    if found is None:
        raise AppError("no_photo", _("No photo yet."), 404)
    return Response(found[1], mimetype=found[0], headers={"Cache-Control": "no-store, private"})


@bp.post(PERSON + "/accommodations")
@committee_only
def person_accommodations(code: str, number: str) -> Any:
    """Extra time (minutes), larger text, high contrast: what the paper gives this candidate from its start."""
    minutes = (request.form.get("extra_min") or "0").strip()
    if not minutes.isdigit():
        return _person_page(code, number, 400, acc_error=_("Extra time is 0 to %(n)s minutes.",
                                                           n=roster.MAX_EXTRA_S // 60))
    actor = signed_in_staff().actor
    large, contrast = request.form.get("large_text") == "1", request.form.get("high_contrast") == "1"

    def work(s: Session) -> None:
        people.set_accommodations(s, get_exam(s, code), number, extra_time_s=int(minutes[:6]) * 60,
                                  large_text=large, high_contrast=contrast, actor=actor)

    try:
        in_session(work)
    except AppError as err:
        return _person_page(code, number, err.status, acc_error=err.message)
    return done(_("Accommodations of %(number)s saved.", number=number), url_for(".person", code=code, number=number))
