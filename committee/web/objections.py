"""The console's objection pages (*sanggah*): the exam's objection window (typed and shown in the site's zone), every
objection with its reason and attachment, the committee's answer to each (an accepted one leads to the annulment
preview), and the signed post-objection announcement (*pasca sanggah*). The functions are
scoring.store.objections, which the candidates' page (candidate/web/objections.py) files through."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request, url_for
from sqlalchemy.orm import Session

from candidate.exams import get_exam
from committee.web.console import committee_only, done, in_session, page
from committee.web.results import export_bundle, zip_download
from ground import files, zones
from ground.errors import AppError
from ground.i18n import _
from ground.jobs import run_apart
from ground.runtime import runtime
from ground.staff.auth import signed_in_staff
from scoring.presets import RulesError
from scoring.store import objections

# under the results (the console's "Results" entry stays current)
bp = Blueprint("console_objections", __name__, url_prefix="/committee/results", template_folder="templates")
FORMATS = ("pdf", "xlsx", "csv")


def _local_input(dt: Any, zone: str) -> str:
    """A stored time as the datetime-local input shows it in the site's zone."""
    return dt.astimezone(zones.tz(zone)).strftime("%Y-%m-%dT%H:%M") if dt is not None else ""


def _view(s: Session, code: str) -> dict[str, Any]:
    zone = runtime().config.site_zone
    exam = get_exam(s, code)
    win = objections.window_of(s, exam)
    return {"exam": {"code": exam.code, "title": exam.title}, "window": win, "is_open": objections.is_open(win),
            "opens_value": _local_input(win.opens_at if win else None, zone),
            "closes_value": _local_input(win.closes_at if win else None, zone), "zone": zone,
            "objections": objections.objections(s, exam), "counts": objections.counts(s, exam)}


def _page(code: str, status: int = 200, error: str | None = None) -> Any:
    return page("console_objections.html", status=status, error=error, formats=FORMATS,
                **in_session(lambda s: _view(s, code)))


@bp.get("/<code>/objections")
@committee_only
def index(code: str) -> Any:
    """The window, every objection (unanswered first) and the post-objection announcement."""
    return _page(code)


@bp.post("/<code>/objections/window")
@committee_only
def set_window(code: str) -> Any:
    """Set or move the window (typed in the site's zone), audited by name."""
    actor, zone = signed_in_staff().actor, runtime().config.site_zone
    try:
        try:
            opens = zones.parse_local(request.form.get("opens", ""), zone)
            closes = zones.parse_local(request.form.get("closes", ""), zone)
        except ValueError:
            raise AppError("bad_request", _("Give the start and the end as a date and time."), 400) from None
        in_session(lambda s: objections.set_window(s, get_exam(s, code), opens, closes, actor=actor))
    except AppError as err:
        if err.status == 404:
            raise
        return _page(code, err.status, err.message)
    return done(_("Objection window: %(opens)s to %(closes)s.", opens=zones.local(opens, zone),
                  closes=zones.local(closes, zone)), url_for("console_objections.index", code=code))


@bp.post("/<code>/objections/<int(max=2147483647):objection_id>")
@committee_only
def answer(code: str, objection_id: int) -> Any:
    """``decision=accept|reject`` with the answer the candidate reads; once, audited by name."""
    actor = signed_in_staff().actor
    decision = request.form.get("decision", "")
    try:
        if decision not in ("accept", "reject"):
            raise AppError("bad_request", _("Choose accept or reject."), 400, field="decision")
        in_session(lambda s: objections.answer(s, get_exam(s, code), objection_id, decision == "accept",
                                               request.form.get("answer", ""), actor=actor))
    except AppError as err:
        if err.status == 404:
            raise
        return _page(code, err.status, err.message)
    message = (_("Objection accepted. Carry it out with an annulment: its preview shows what changes for whom.")
               if decision == "accept" else _("Objection rejected."))
    return done(message, url_for("console_objections.index", code=code))


@bp.get("/<code>/objections/<int(max=2147483647):objection_id>/attachment")
@committee_only
def attachment(code: str, objection_id: int) -> Response:
    """The objection's attachment, as a download only (never rendered, never cached)."""
    return files.download(*in_session(lambda s: objections.attachment(s, get_exam(s, code), objection_id)))


@bp.post("/<code>/objections/announcement")
@committee_only
def announcement(code: str) -> Any:
    """The signed post-objection announcement (``format=pdf|xlsx|csv``) as a ZIP with its .sig: refused while the
    window is open, an objection is unanswered or a paper is open."""
    fmt = request.form.get("format", "pdf")
    if fmt not in FORMATS:
        return _page(code, 400, _("format must be csv, xlsx or pdf."))
    rt = runtime()
    try:
        name, data = run_apart(export_bundle, rt.db_url, code, objections.STAGE, fmt, signed_in_staff().actor,
                               rt.config.site_zone)
    except AppError as err:
        if err.status == 404:
            raise
        return _page(code, err.status, err.message)
    except RulesError as exc:
        return _page(code, 409, str(exc))
    return zip_download(name, data)
