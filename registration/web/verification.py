"""The verifiers' pages: the queue of submitted applications, one application's documents beside its requirements,
and a met / not met mark with a reason for each (every mark audited with the verifier's name)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from ground import db
from ground.concurrency import run_blocking
from ground.errors import AppError
from ground.i18n import _
from ground.runtime import runtime
from ground.staff.auth import signed_in_staff, staff_required
from registration import announcements, applications, selection
from registration.web.portal import file_response

bp = Blueprint("verification", __name__, template_folder="templates", url_prefix="/verifikasi")
ROLES = ("verifier", "committee", "admin")


def _db(fn: Any) -> Any:
    db_url = runtime().db_url

    def work() -> Any:
        with db.session_scope(db_url) as s:
            return fn(s)

    return run_blocking(work)


@bp.get("/")
@staff_required(*ROLES)
def queue() -> Any:
    return render_template("verify_queue.html", rows=_db(selection.queue))


@bp.get("/applications/<int(max=2147483647):application_id>")
@staff_required(*ROLES)
def application(application_id: int) -> Any:
    return render_template("verify_application.html", error=None, a=_db(lambda s: _detail(s, application_id)))


def _detail(s: Any, application_id: int) -> dict[str, Any]:
    """The application with its objection, if any."""
    return {**selection.detail(s, application_id), "objection": announcements.objection_of(s, application_id)}


def _change(application_id: int, work: Any) -> Any:
    """Run one change to the application; a refusal re-renders its page with the reason (a 404 stays a 404), a
    success returns to it."""
    try:
        _db(work)
    except AppError as err:
        if err.status == 404:
            raise
        page = render_template("verify_application.html", error=err.message,
                               a=_db(lambda s: _detail(s, application_id)))
        return page, err.status
    return redirect(url_for("verification.application", application_id=application_id))


def _choice(value: str | None, code: str, message: str) -> bool:
    """A two-way form choice ("1" or "0"), or the refusal naming what to choose."""
    if value not in ("1", "0"):
        raise AppError(code, message)
    return value == "1"


@bp.post("/applications/<int(max=2147483647):application_id>/requirements/<int(max=2147483647):requirement_id>")
@staff_required(*ROLES)
def mark(application_id: int, requirement_id: int) -> Any:
    actor, reason, choice = signed_in_staff().actor, request.form.get("reason", ""), request.form.get("met")

    def work(s: Any) -> Any:
        met = _choice(choice, "bad_mark", _("Choose met or not met."))
        return selection.mark(s, application_id, requirement_id, met, reason, actor=actor)

    return _change(application_id, work)


@bp.post("/applications/<int(max=2147483647):application_id>/requirements/<int(max=2147483647):requirement_id>"
         "/confirm")
@staff_required(*ROLES)
def confirm(application_id: int, requirement_id: int) -> Any:
    """A second verifier confirms a mark."""
    actor = signed_in_staff().actor
    return _change(application_id, lambda s: selection.confirm(s, application_id, requirement_id, actor=actor))


@bp.post("/applications/<int(max=2147483647):application_id>/objection")
@staff_required("committee", "admin")
def answer_objection(application_id: int) -> Any:
    """The committee's answer to an objection (accepted: the application becomes MS)."""
    actor, text, choice = signed_in_staff().actor, request.form.get("answer", ""), request.form.get("accepted")

    def work(s: Any) -> Any:
        accepted = _choice(choice, "bad_answer", _("Accept or reject the objection."))
        return announcements.answer(s, application_id, accepted, text, actor=actor)

    return _change(application_id, work)


@bp.get("/applications/<int(max=2147483647):application_id>/objection/attachment")
@staff_required(*ROLES)
def objection_attachment(application_id: int) -> Response:
    """The objection's attachment: verifiers and the committee only, as a download."""
    return file_response(*_db(lambda s: announcements.attachment(s, application_id)))


@bp.get("/documents/<int(max=2147483647):doc_id>")
@staff_required(*ROLES)
def document(doc_id: int) -> Response:
    return file_response(*_db(lambda s: applications.document(s, doc_id, person_id=None)))
