"""Staff sign-in for every committee-side page: session cookie, CSRF, rate limit, and ``staff_required(*roles)``.

Other areas protect their pages with::

    from ground.staff.auth import signed_in_staff, staff_required

    @bp.get("/committee/results")
    @staff_required("admin", "committee")
    def results(): ...  # signed_in_staff() is who asked (its .actor names them in the audit log)

Unsafe methods (POST, PUT, PATCH, DELETE) behind ``staff_required`` also need the CSRF token: the form field
``csrf_token`` (templates: ``{{ csrf_field() }}``) or the ``X-CSRF-Token`` header for ``fetch``.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, g, jsonify, redirect, render_template, request, session, url_for
from markupsafe import Markup, escape

from ground import audit, db, events
from ground.concurrency import run_blocking
from ground.errors import AppError
from ground.i18n import _
from ground.models.staff import STAFF_ROLES
from ground.runtime import runtime
from ground.staff import accounts as staff_service
from ground.staff import nav
from ground.staff.accounts import StaffInfo

F = TypeVar("F", bound=Callable[..., Any])
bp = Blueprint("staff", __name__, template_folder="templates")
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "csrf_field": csrf_field, "current_staff": current_staff,
            "console_nav": _console_nav}


def _console_nav() -> list[dict[str, Any]]:
    who = current_staff()
    return nav.entries_for(who.role) if who is not None else []


def csrf_token() -> str:
    """This browser session's CSRF token (created on first use, kept across sign-in)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_field() -> Markup:
    return Markup(f'<input type="hidden" name="csrf_token" value="{escape(csrf_token())}">')


def check_csrf() -> None:
    """Refuse an unsafe request whose token (form field or X-CSRF-Token header) does not match the session's."""
    if request.method not in UNSAFE_METHODS:
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(str(sent), str(expected)):
        message = _("The form expired or came from another site. Reload the page and try again.")
        raise AppError("csrf_failed", message, 403)


SESSION_KEY = "staff_session"  # the cookie's sign-in token; its row in staff_sessions is the session


def staff_from_cookie(cookie_session: Any) -> StaffInfo | None:
    """The staff member whose sign-in this (Flask) cookie session carries, checked in the database.

    No row, no session: signing out deletes the row, so a copied cookie dies with the original; disabling an
    account or changing its password deletes all of them. Used by pages and by the ``/proctor`` socket.
    """
    token = cookie_session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        return None
    db_url = runtime().db_url

    def load() -> StaffInfo | None:
        with db.session_scope(db_url) as s:
            return staff_service.session_staff(s, token)

    return run_blocking(load)


def current_staff() -> StaffInfo | None:
    """The signed-in staff member of this request (checked against the database once per request)."""
    if "staff" in g:
        return g.staff
    found = staff_from_cookie(session)
    if found is None and SESSION_KEY in session:
        session.pop(SESSION_KEY, None)
        session.pop("staff_id", None)
    g.staff = found
    return found


def signed_in_staff() -> StaffInfo:
    """The staff member of a request ``staff_required`` let through (the actor its audit rows name)."""
    who = current_staff()
    if who is None:
        raise RuntimeError("signed_in_staff() outside a staff_required view")
    return who


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.is_json


def staff_required(*roles: str) -> Callable[[F], F]:
    """Only signed-in staff with one of ``roles`` (any role when none given); CSRF-checked on unsafe methods.

    Pages redirect to the sign-in form; ``/api/`` paths answer 401/403 in the one error shape.
    """
    for role in roles:
        if role not in STAFF_ROLES:
            raise ValueError(f"unknown staff role {role!r}")

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            who = current_staff()
            if who is None:
                if _wants_json():
                    raise AppError("not_signed_in", _("Sign in as staff first."), 401)
                return redirect(url_for("staff.sign_in_page", next=request.full_path.rstrip("?")))
            if roles and who.role not in roles:
                if _wants_json():
                    raise AppError("forbidden", _("Your role may not do this."), 403)
                return render_template("staff_forbidden.html"), 403
            check_csrf()
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def sign_in(username: str, password: str) -> StaffInfo:
    """Check the credentials (rate-limited per account and per address) and start a fresh session."""
    username = (username or "").strip().lower()[:64]
    address = str(request.remote_addr)
    guard = runtime().sign_in_guard("staff", address_factor=3)
    if guard.blocked(username, address):
        raise AppError("too_many_attempts", _("Too many failed sign-ins. Wait a few minutes and try again."), 429)
    db_url = runtime().db_url

    def attempt() -> tuple[str, StaffInfo]:
        with db.session_scope(db_url) as s:
            return staff_service.start_session(s, staff_service.authenticate(s, username, password or ""))

    try:
        token, who = run_blocking(attempt)
    except AppError as err:
        if err.code == "bad_credentials":
            guard.failed(username, address)
        raise
    guard.succeeded(username)
    session.clear()  # no session fixation: a new CSRF token too
    session[SESSION_KEY], session["staff_id"] = token, who.id
    session["csrf"] = secrets.token_urlsafe(32)
    g.staff = who
    return who


def sign_out(everywhere: bool = False) -> None:
    """End this sign-in (its row, so copies of the cookie die too) and its live connections; with ``everywhere``,
    every sign-in and live connection of the account."""
    who = current_staff()
    if who is not None and who.session_id is not None:
        db_url, session_id = runtime().db_url, who.session_id

        def end() -> None:
            with db.session_scope(db_url) as s:
                if everywhere:
                    staff_service.sign_out_everywhere(s, who.id)
                else:
                    staff_service.end_session(s, session_id)
                    audit.record(s, "staff.sign_out", actor=who.actor)

        run_blocking(end)
        # live faces close the connections of that sign-in (or of the whole account)
        events.publish(events.STAFF_SIGNED_OUT, staff_id=who.id, session_id=None if everywhere else session_id)
    session.clear()
    g.staff = None


def _safe_next(target: str | None) -> str:
    """Only same-site paths after sign-in (never an open redirect); else the role's home (the console or the
    proctor dashboard)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    who = current_staff()
    return nav.home_url(who.role if who is not None else None)


@bp.get("/staff/login")
def sign_in_page() -> Any:
    if current_staff() is not None:
        return redirect(_safe_next(request.args.get("next")))
    return render_template("staff_login.html", error=None, next=request.args.get("next", ""), username="")


@bp.post("/staff/login")
def sign_in_form() -> Any:
    username = request.form.get("username", "")
    try:
        check_csrf()
        sign_in(username, request.form.get("password", ""))
    except AppError as err:
        page = render_template("staff_login.html", error=err.message, next=request.form.get("next", ""),
                               username=username)
        return page, err.status
    return redirect(_safe_next(request.form.get("next")))


@bp.get("/staff/")
def staff_home() -> Any:
    who = current_staff()
    return redirect(nav.home_url(who.role if who is not None else None))


@bp.post("/staff/logout")
def sign_out_form() -> Any:
    check_csrf()
    sign_out(everywhere=request.form.get("everywhere") == "1")
    return redirect(url_for("staff.sign_in_page"))


@bp.post("/api/v1/staff/session")
def api_sign_in() -> Any:
    """JSON sign-in (tests, scripts): ``{"username", "password"}`` → the cookie, and the CSRF token to send back."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("username"), str) or not isinstance(
        data.get("password"), str
    ):
        raise AppError("bad_request", _("Send a JSON object with 'username' and 'password'."), 400)
    who = sign_in(data["username"], data["password"])
    return jsonify({"staff": who.public(), "csrf_token": session["csrf"]})


@bp.get("/api/v1/staff/session")
@staff_required()
def api_whoami() -> Any:
    return jsonify({"staff": signed_in_staff().public(), "csrf_token": csrf_token()})


@bp.delete("/api/v1/staff/session")
@staff_required()
def api_sign_out() -> Any:
    sign_out(everywhere=request.args.get("everywhere") == "1")
    return jsonify({"ok": True})


RESET = "/staff/reset/<token>"


def _reset_account(token: str, password: str | None = None) -> str:
    """The username a reset link belongs to; with ``password``, the link is used (once) to set it."""
    db_url = runtime().db_url

    def work() -> str:
        with db.session_scope(db_url) as s:
            if password is None:
                return staff_service.reset_link_user(s, token)[1].username
            return staff_service.use_reset_link(s, token, password)

    return run_blocking(work)


@bp.get(RESET)
def reset_page(token: str) -> Any:
    """A one-time reset link: the form for a new password (the token is checked, not used, by looking)."""
    try:
        username = _reset_account(token[:128])
    except AppError as err:
        return render_template("staff_reset.html", error=err.message, username=None, done=False), err.status
    return render_template("staff_reset.html", error=None, username=username, done=False)


@bp.post(RESET)
def reset_form(token: str) -> Any:
    """Set the new password through the link: typed twice; the link then works no more, every sign-in ends."""
    check_csrf()
    password, username = request.form.get("password", ""), None
    try:
        username = _reset_account(token[:128])
        if password != request.form.get("confirm", ""):
            raise AppError("passwords_differ", _("The two passwords differ."), 400)
        _reset_account(token[:128], password)
    except AppError as err:
        username = username if err.code != "bad_reset_link" else None
        return render_template("staff_reset.html", error=err.message, username=username, done=False), err.status
    return render_template("staff_reset.html", error=None, username=username, done=True)
