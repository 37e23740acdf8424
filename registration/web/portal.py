"""The applicant portal (public, Indonesian first): register, verify, sign in, profile, apply, upload, submit."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from ground import clock, db, files, zones
from ground.concurrency import run_blocking
from ground.errors import AppError
from ground.i18n import _
from ground.runtime import runtime
from ground.staff.auth import check_csrf
from registration import announcements, applications, card, people, recruitments, retention, summary
from registration.senders import sender
from registration.web import signin
from registration.web.signin import applicant_required, current_applicant, signed_in

bp = Blueprint("registration", __name__, template_folder="templates", url_prefix="/daftar")
PATH_NAMES = {"general": "General", "cum_laude": "Cum laude", "disability": "Disability", "papua": "Papuan"}


def _db(fn: Any) -> Any:
    """Run ``fn(session)`` in one transaction off the event loop."""
    db_url = runtime().db_url

    def work() -> Any:
        with db.session_scope(db_url) as s:
            return fn(s)

    return run_blocking(work)


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"current_applicant": current_applicant, "path_name": lambda p: _(PATH_NAMES.get(p, p)),
            "site_time": lambda dt: zones.local(dt, runtime().config.site_zone)}


def _form_error(template: str, err: AppError, **ctx: Any) -> tuple[str, int]:
    """The form again with the refusal's message (translated) and its status."""
    return render_template(template, error=err.message, **ctx), err.status


@bp.get("/")
def home() -> Any:
    """Open recruitments and the ways in."""
    return render_template("portal_home.html", open_recruitments=_db(recruitments.open_now))


@bp.get("/register")
def register_page() -> Any:
    return render_template("portal_register.html", error=None, form={})


@bp.post("/register")
def register_form() -> Any:
    form = {k: request.form.get(k, "") for k in ("nik", "name", "birth_date", "login")}
    try:
        check_csrf()
        check, count = signin.limit("signup", factor=20)
        check()
        count()
        try:
            born = date.fromisoformat(form["birth_date"])
        except ValueError:
            raise AppError("bad_birth_date", _("Enter your date of birth.")) from None
        password = request.form.get("password", "")
        if password != request.form.get("password2", ""):
            raise AppError("password_mismatch", _("The two passwords differ."))
        send = sender(runtime().config)
        db_url = runtime().db_url

        def work() -> people.Applicant:
            with db.session_scope(db_url) as s:
                return people.register(s, nik=form["nik"], name=form["name"], birth_date=born, login=form["login"],
                                       password=password, sender=send)

        who = signin.hashing(work)
    except AppError as err:
        return _form_error("portal_register.html", err, form=form)
    signin.start(who)
    return redirect(url_for("registration.verify_page"))


@bp.get("/verify")
@applicant_required
def verify_page() -> Any:
    if signed_in().verified:
        return redirect(url_for("registration.account"))
    return render_template("portal_verify.html", error=None, sent=request.args.get("sent") == "1")


@bp.post("/verify")
@applicant_required
def verify_form() -> Any:
    who = signed_in()
    try:
        _db(lambda s: people.verify(s, who.account_id, request.form.get("code", "")))
    except AppError as err:
        return _form_error("portal_verify.html", err, sent=False)
    return redirect(url_for("registration.account"))


@bp.post("/verify/resend")
@applicant_required
def resend_code() -> Any:
    who = signed_in()
    try:
        check, count = signin.limit("code", factor=2)
        check()
        count()
    except AppError as err:
        return _form_error("portal_verify.html", err, sent=False)
    send = sender(runtime().config)
    try:
        _db(lambda s: people.resend_code(s, who.account_id, send))
    except AppError as err:
        return _form_error("portal_verify.html", err, sent=False)
    return redirect(url_for("registration.verify_page", sent=1))


@bp.get("/login")
def login_page() -> Any:
    return render_template("portal_login.html", error=None, login="", next=request.args.get("next", ""))


@bp.post("/login")
def login_form() -> Any:
    login = request.form.get("login", "")
    try:
        check_csrf()
        who = signin.sign_in(login, request.form.get("password", ""))
    except AppError as err:
        return _form_error("portal_login.html", err, login=login, next=request.form.get("next", ""))
    target = request.form.get("next", "")
    if not (target.startswith("/daftar/") and not target.startswith("//")):
        target = url_for("registration.account" if who.verified else "registration.verify_page")
    return redirect(target)


@bp.post("/logout")
def logout() -> Any:
    check_csrf()
    signin.end()
    return redirect(url_for("registration.home"))


def _account_view(s: Session, who: people.Applicant) -> dict[str, Any]:
    apps = []
    for rec in recruitments.open_now(s):
        row = s.get(recruitments.Recruitment, rec.id)
        assert row is not None
        state = applications.status(s, applications.application_for(s, who, row, create=False))
        apps.append({"recruitment": rec, **state})
    return {"person": people.person_fields(s, who.person_id), "recruitments": apps,
            "erasure_requested": retention.erasure_requested(s, who.person_id)}


@bp.get("/account")
@applicant_required
def account() -> Any:
    who = signed_in()
    if not who.verified:
        return redirect(url_for("registration.verify_page"))
    return render_template("portal_account.html", error=None, saved=request.args.get("saved") == "1",
                           **_db(lambda s: _account_view(s, who)))


@bp.post("/account/profile")
@applicant_required
def profile_form() -> Any:
    who = signed_in()
    values = {k: request.form.get(k, "") for k in people.PROFILE_FIELDS}
    try:
        _db(lambda s: people.update_profile(s, who, values))
    except AppError as err:
        return _form_error("portal_account.html", err, saved=False, **_db(lambda s: _account_view(s, who)))
    return redirect(url_for("registration.account", saved=1))


@bp.post("/account/erasure")
@applicant_required
def erasure_form() -> Any:
    """Ask the committee to erase one's personal data (it confirms; what a signed list named stays)."""
    who = signed_in()
    if request.form.get("confirm") != "1":
        err = AppError("not_confirmed", _("Tick the box to confirm you want your data erased."))
        return _form_error("portal_account.html", err, saved=False, **_db(lambda s: _account_view(s, who)))
    _db(lambda s: retention.request_erasure(s, who))
    return redirect(url_for("registration.account", saved=1))


@bp.get("/account/data.json")
@applicant_required
def own_data() -> Response:
    """Everything kept about the applicant, as a download (right of access)."""
    who = signed_in()
    body = json.dumps(_db(lambda s: people.own_data(s, who)), ensure_ascii=False, indent=2, default=str)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="data-saya.json"', "Cache-Control": "no-store"})


def _apply_view(s: Session, who: people.Applicant, code: str) -> dict[str, Any]:
    row = recruitments.by_code(s, code)
    rec = recruitments.view(s, row)
    app = applications.application_for(s, who, row, create=False)
    shown = announcements.announcement(s, row.id, "result")
    window = shown.objections_until if shown is not None else None
    return {"rec": rec, "open": rec.is_open(clock.now()), **applications.status(s, app),
            "objection": announcements.objection_of(s, app.id) if app is not None else None,
            "objections_until": window, "may_object": window is not None and clock.now() < window,
            "max_attachment": announcements.MAX_ATTACHMENT}


def _apply(code: str, action: Any, notice: str) -> Any:
    """Run one change to the application; the page again with the refusal, or a redirect with a notice."""
    who = signed_in()
    try:
        _db(lambda s: action(s, who))
    except AppError as err:
        return _form_error("portal_apply.html", err, notice=None, **_db(lambda s: _apply_view(s, who, code)))
    return redirect(url_for("registration.apply_page", code=code, notice=notice))


@bp.get("/r/<code>")
@applicant_required
def apply_page(code: str) -> Any:
    who = signed_in()
    if not who.verified:
        return redirect(url_for("registration.verify_page"))
    notices = {"formation": _("Formation saved."), "document": _("Document uploaded."),
               "submitted": _("Application submitted."), "objection": _("Objection sent.")}
    notice = notices.get(request.args.get("notice", ""))
    return render_template("portal_apply.html", error=None, notice=notice, **_db(lambda s: _apply_view(s, who, code)))


@bp.post("/r/<code>/formation")
@applicant_required
def formation_form(code: str) -> Any:
    choice = request.form.get("choice", "")
    formation, _sep, path = choice.partition(":")
    if not formation.isdigit():
        formation = "0"
    site = request.form.get("site", "")
    return _apply(code, lambda s, who: applications.choose_formation(s, who, code, int(formation), path, site),
                  "formation")


@bp.post("/r/<code>/documents/<int(max=2147483647):requirement_id>")
@applicant_required
def upload_form(code: str, requirement_id: int) -> Any:
    file = request.files.get("file")
    data = file.read() if file is not None else b""
    upload = applications.Upload(data, (file.filename or "") if file is not None else "")

    def action(s: Session, who: people.Applicant) -> None:
        check, count = signin.limit("upload", factor=40)
        check()
        count()
        applications.upload(s, who, code, requirement_id, upload)

    return _apply(code, action, "document")


@bp.post("/r/<code>/submit")
@applicant_required
def submit_form(code: str) -> Any:
    if request.form.get("confirm") != "1":
        who = signed_in()
        err = AppError("not_confirmed", _("Tick the box to confirm your data are true."))
        return _form_error("portal_apply.html", err, notice=None, **_db(lambda s: _apply_view(s, who, code)))
    return _apply(code, lambda s, who: applications.submit(s, who, code), "submitted")


@bp.post("/r/<code>/objection")
@applicant_required
def objection_form(code: str) -> Any:
    text, file = request.form.get("text", ""), request.files.get("file")
    attachment = applications.Upload(file.read(), file.filename or "") if file is not None else None
    return _apply(code, lambda s, who: announcements.object_to(s, who, code, text, attachment), "objection")


@bp.get("/r/<code>/summary.pdf")
@applicant_required
def summary_pdf(code: str) -> Response:
    who = signed_in()
    config = runtime().config
    pdf = _db(lambda s: summary.for_applicant(s, who, code, config.data_dir, config.site_zone))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="resume-{code}.pdf"', "Cache-Control": "no-store"})


@bp.get("/r/<code>/card.pdf")
@applicant_required
def card_pdf(code: str) -> Response:
    """The exam card, once the applicant was scheduled for the exam."""
    who = signed_in()
    data_dir = runtime().config.data_dir
    pdf = _db(lambda s: card.for_applicant(s, who, code, data_dir))
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="kartu-ujian-{code}.pdf"', "Cache-Control": "no-store"})


PUBLISHED = {"csv": "text/csv", "pdf": "application/pdf", "csv.sig": "application/json",
             "pdf.sig": "application/json"}


@bp.get("/pengumuman")
def announcements_page() -> Any:
    """The signed MS/TMS and final lists, each as PDF and CSV with its .sig, and where to check them."""
    return render_template("portal_announcements.html", lists=_db(announcements.published_lists))


@bp.get("/pengumuman/<code>/<name>")
def announcement_file(code: str, name: str) -> Response:
    """One published list or its signature (``result.pdf``, ``final.csv.sig``…), as a download; 404 for anything
    not announced."""
    stage, _dot, ext = name.partition(".")
    known = {(a["code"], a["stage"]) for a in _db(announcements.published_lists)}
    path = announcements.published(runtime().config.data_dir, code, stage, ext)
    if (code, stage) not in known or ext not in PUBLISHED or not path.is_file():
        raise AppError("unknown_announcement", _("No such announcement."), 404)
    return Response(path.read_bytes(), mimetype=PUBLISHED[ext], headers={
        "Content-Disposition": f'attachment; filename="{path.name}"', "Cache-Control": "public, max-age=300",
        "X-Content-Type-Options": "nosniff"})


file_response = files.download  # an uploaded file as a download only (ground/files.py)


@bp.get("/documents/<int(max=2147483647):doc_id>")
@applicant_required
def own_document(doc_id: int) -> Response:
    who = signed_in()
    return file_response(*_db(lambda s: applications.document(s, doc_id, person_id=who.person_id)))
