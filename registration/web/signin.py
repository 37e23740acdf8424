"""The applicant's browser session: who is signed in, sign-in and sign-out, ``applicant_required``, rate limits."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for

from ground import db
from ground.concurrency import run_blocking
from ground.errors import AppError
from ground.i18n import _
from ground.runtime import runtime
from ground.staff.auth import check_csrf
from registration import people
from registration.people import Applicant

F = TypeVar("F", bound=Callable[..., Any])
SESSION_KEY = "applicant"  # [account id, session epoch]
# argon2 takes 64 MiB per hash (the library's defaults): at most this many sign-ups and sign-ins hash at once in a
# process, so a burst of applicants queues instead of multiplying the server's memory (gevent's semaphore under serve)
HASHING = threading.BoundedSemaphore(4)


def hashing(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` (which hashes or checks a password) on the thread pool, a few at a time."""
    with HASHING:
        return run_blocking(fn)


def current_applicant() -> Applicant | None:
    """The signed-in applicant of this request (re-read from the database once per request)."""
    if "applicant" in g:
        return g.applicant  # type: ignore[no-any-return]
    kept = session.get(SESSION_KEY)
    found = None
    if isinstance(kept, list) and len(kept) == 2 and all(isinstance(v, int) for v in kept):
        db_url = runtime().db_url

        def load() -> Applicant | None:
            with db.session_scope(db_url) as s:
                return people.current(s, kept[0], kept[1])

        found = run_blocking(load)
    if found is None:
        session.pop(SESSION_KEY, None)
    g.applicant = found
    return found


def signed_in() -> Applicant:
    """The applicant an ``applicant_required`` view was let through for."""
    who = current_applicant()
    if who is None:
        raise RuntimeError("signed_in() outside an applicant_required view")
    return who


def applicant_required(view: F) -> F:
    """Only a signed-in applicant (else the sign-in page); the CSRF token on unsafe methods."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_applicant() is None:
            return redirect(url_for("registration.login_page", next=request.full_path.rstrip("?")))
        check_csrf()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def start(who: Applicant) -> None:
    """A fresh cookie session for this applicant (no fixation: a new CSRF token too)."""
    session.clear()
    session[SESSION_KEY] = [who.account_id, who.session_epoch]
    session["csrf"] = secrets.token_urlsafe(32)
    g.applicant = who


def end() -> None:
    """Sign out of this browser (a staff sign-in in the same browser stays)."""
    session.pop(SESSION_KEY, None)
    g.applicant = None


def limit(kind: str, factor: int) -> tuple[Callable[[], None], Callable[[], None]]:
    """(check, count) for an address-limited action (sign-ups, uploads): ``factor`` times the sign-in limit."""
    guard = runtime().sign_in_guard(f"applicant-{kind}", address_factor=factor)
    address = str(request.remote_addr)

    def check() -> None:
        if guard.address_blocked(address):
            raise AppError("too_many_attempts", _("Too many attempts from here. Wait a few minutes and try again."),
                           429)

    def count() -> None:
        guard.address_failed(address)

    return check, count


def sign_in(login: str, password: str) -> Applicant:
    """Check the credentials (rate-limited per login and per address) and start a session."""
    key = (login or "").strip().lower()[:254]
    address = str(request.remote_addr)
    guard = runtime().sign_in_guard("applicant", address_factor=3)
    if guard.blocked(key, address):
        raise AppError("too_many_attempts", _("Too many failed sign-ins. Wait a few minutes and try again."), 429)
    db_url = runtime().db_url

    def attempt() -> Applicant:
        with db.session_scope(db_url) as s:
            return people.authenticate(s, login, password)

    try:
        who = hashing(attempt)
    except AppError as err:
        if err.code == "bad_credentials":
            guard.failed(key, address)
        raise
    guard.succeeded(key)
    start(who)
    return who
