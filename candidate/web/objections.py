"""The candidate's objection (*sanggah*) page: within the window the committee set for an exam, a candidate files one
objection with the participant number and PIN of their card, a reason and an optional PDF/JPEG attachment; with the
same number and PIN they later read the committee's answer. Public (no sign-in), CSRF-checked, rate limited: a wrong
PIN counts against the participant and the address like the exam login (a separate count: objecting never locks the
exam login). The filing itself is scoring.store.objections, which the committee's console answers through."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy.orm import Session

from ground import db, zones
from ground.concurrency import run_blocking
from ground.errors import AppError
from ground.i18n import _
from ground.runtime import runtime
from ground.staff.auth import check_csrf
from scoring.store import objections

bp = Blueprint("objections", __name__, template_folder="templates")
KIND = "candidate-objection"
ADDRESS_FACTOR = 10
MAX_FORM = objections.MAX_ATTACHMENT + 64 * 1024


def _db(work: Any) -> Any:
    db_url = runtime().db_url

    def run() -> Any:
        with db.session_scope(db_url) as s:
            return work(s)

    return run_blocking(run)


def _page(status: int = 200, **context: Any) -> Any:
    zone = runtime().config.site_zone
    found = _db(objections.windows)
    shown = [{**w, "opens": zones.local(w["opens_at"], zone), "closes": zones.local(w["closes_at"], zone)}
             for w in found]
    form = {k: request.form.get(k, "") for k in ("exam", "participant_no", "reason")} if request.method == "POST" \
        else {"exam": request.args.get("exam", "")}
    context.setdefault("error", None)
    return render_template("objection.html", windows=shown, form=form, max_kb=objections.MAX_ATTACHMENT // 1024,
                           min_text=objections.MIN_TEXT, max_text=objections.MAX_TEXT,
                           local=lambda dt: zones.local(dt, zone), **context), status


def _guarded(work: Any) -> Any:
    """Run ``work(session)`` for the participant the form names, counting a wrong PIN (or number) against them
    and this address; refused while either is locked out."""
    check_csrf()
    guard = runtime().sign_in_guard(KIND, address_factor=ADDRESS_FACTOR)
    address = str(request.remote_addr)
    account = f"{request.form.get('exam', '').strip()[:64]}:{request.form.get('participant_no', '').strip()[:64]}"
    if guard.blocked(account, address):
        raise AppError("too_many_attempts", _("Too many failed attempts. Wait a few minutes and try again."), 429)
    try:
        out = _db(work)
    except AppError as err:
        if err.code in ("bad_credentials", "unknown_exam"):
            guard.failed(account, address)
        raise
    guard.succeeded(account)
    return out


@bp.get("/sanggah")
def objection_page() -> Any:
    """Which exams take objections now (times in the site's zone), the objection form and the answer lookup."""
    return _page()


@bp.post("/sanggah")
def file_form() -> Any:
    """File one objection; the page again with the refusal (nothing stored), or the receipt of it."""
    if (request.content_length or 0) > MAX_FORM:
        return _page(413, error=_("The attachment is too large (at most %(kb)s KB).",
                                  kb=objections.MAX_ATTACHMENT // 1024))
    upload = request.files.get("attachment")
    data = upload.read(objections.MAX_ATTACHMENT + 1) if upload is not None and upload.filename else None
    form = request.form
    zone = runtime().config.site_zone

    def work(s: Session) -> dict[str, Any]:
        row = objections.file_objection(s, form.get("exam", ""), form.get("participant_no", ""),
                                        form.get("pin", ""), form.get("reason", ""), data, zone=zone)
        return {"id": row.id, "filed_at": zones.local(row.filed_at, zone), "attachment": bool(row.attachment_sha256)}

    try:
        filed = _guarded(work)
    except AppError as err:
        return _page(err.status, error=err.message)
    return _page(filed=filed)


@bp.post("/sanggah/status")
def status_form() -> Any:
    """The candidate's own objection and, once given, the committee's decision and its reason."""
    form = request.form

    def work(s: Session) -> Any:
        exam, cand = objections.candidate_for(s, form.get("exam", ""), form.get("participant_no", ""),
                                              form.get("pin", ""))
        found = objections.own_objection(s, exam, cand)
        if found is None:
            raise AppError("no_objection", _("You have not filed an objection to %(exam)s.", exam=exam.code), 404)
        return found

    try:
        mine = _guarded(work)
    except AppError as err:
        return _page(err.status, error=err.message)
    return _page(mine=mine)
