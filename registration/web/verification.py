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


@bp.post("/applications/<int(max=2147483647):application_id>/requirements/<int(max=2147483647):requirement_id>")
@staff_required(*ROLES)
def mark(application_id: int, requirement_id: int) -> Any:
    actor = signed_in_staff().actor
    met = request.form.get("met")
    try:
        if met not in ("1", "0"):
            raise AppError("bad_mark", _("Choose met or not met."))
        _db(lambda s: selection.mark(s, application_id, requirement_id, met == "1", request.form.get("reason", ""),
                                     actor=actor))
    except AppError as err:
        if err.status == 404:
            raise
        page = render_template("verify_application.html", error=err.message,
                               a=_db(lambda s: _detail(s, application_id)))
        return page, err.status
    return redirect(url_for("verification.application", application_id=application_id))


@bp.post("/applications/<int(max=2147483647):application_id>/requirements/<int(max=2147483647):requirement_id>"
         "/confirm")
@staff_required(*ROLES)
def confirm(application_id: int, requirement_id: int) -> Any:
    """A second verifier confirms a mark."""
    actor = signed_in_staff().actor
    try:
        _db(lambda s: selection.confirm(s, application_id, requirement_id, actor=actor))
    except AppError as err:
        if err.status == 404:
            raise
        page = render_template("verify_application.html", error=err.message,
                               a=_db(lambda s: _detail(s, application_id)))
        return page, err.status
    return redirect(url_for("verification.application", application_id=application_id))


@bp.post("/applications/<int(max=2147483647):application_id>/objection")
@staff_required("committee", "admin")
def answer_objection(application_id: int) -> Any:
    """The committee's answer to an objection (accepted: the application becomes MS)."""
    actor = signed_in_staff().actor
    accepted = request.form.get("accepted")
    try:
        if accepted not in ("1", "0"):
            raise AppError("bad_answer", _("Accept or reject the objection."))
        _db(lambda s: announcements.answer(s, application_id, accepted == "1", request.form.get("answer", ""),
                                           actor=actor))
    except AppError as err:
        if err.status == 404:
            raise
        page = render_template("verify_application.html", error=err.message,
                               a=_db(lambda s: _detail(s, application_id)))
        return page, err.status
    return redirect(url_for("verification.application", application_id=application_id))


@bp.get("/documents/<int(max=2147483647):doc_id>")
@staff_required(*ROLES)
def document(doc_id: int) -> Response:
    return file_response(*_db(lambda s: applications.document(s, doc_id, person_id=None)))
