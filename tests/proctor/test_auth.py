"""Staff accounts and sign-in over HTTP (in-process app): argon2, cookie session, CSRF, rate limit, roles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Blueprint, Flask
from sqlalchemy import func, select

from exam_engine.app import create_app
from ground import db
from ground.config import Config
from ground.errors import AppError
from ground.models import AuditEvent
from ground.models.staff import StaffUser
from ground.staff.accounts import authenticate, create_staff
from ground.staff.auth import staff_required

PASSWORD = "correct horse battery"


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    with db.session_scope(db_url) as s:
        create_staff(s, "proctor1", PASSWORD, "proctor")
        create_staff(s, "panitia", PASSWORD, "committee")
    app = create_app(Config(data_dir=tmp_path / "data", database_url=db_url, login_attempts=3), async_mode="threading")
    extra = Blueprint("extra", __name__)

    @extra.route("/committee-only", methods=["GET", "POST"])
    @staff_required("committee", "admin")
    def committee_only() -> str:
        return "secret committee page"

    @extra.get("/api/v1/committee-only")
    @staff_required("committee")
    def committee_api() -> dict:
        return {"ok": True}

    app.register_blueprint(extra)
    yield app


def _sign_in(client, username: str = "proctor1", password: str = PASSWORD):
    return client.post("/api/v1/staff/session", json={"username": username, "password": password})


def test_passwords_are_argon2_and_bad_accounts_are_refused(db_url: str) -> None:
    with db.session_scope(db_url) as s:
        user = create_staff(s, "Ketua.Panitia", "a long password", "admin")
        assert user.username == "ketua.panitia" and user.password_hash.startswith("$argon2id$")
        assert authenticate(s, "KETUA.panitia", "a long password").role == "admin"
        with pytest.raises(AppError) as err:
            authenticate(s, "ketua.panitia", "wrong password")
        assert err.value.code == "bad_credentials" and err.value.status == 401
    cases = [
        (("x", PASSWORD, "proctor"), "bad_username"),
        (("has space", PASSWORD, "proctor"), "bad_username"),
        (("newuser", "short", "proctor"), "weak_password"),
        (("newuser", PASSWORD, "root"), "bad_role"),
        (("ketua.panitia", PASSWORD, "proctor"), "duplicate_username"),
    ]
    for args, code in cases:
        with db.session_scope(db_url) as s, pytest.raises(AppError) as err:
            create_staff(s, *args)
        assert err.value.code == code and err.value.message
    with db.session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(StaffUser)) == 1, "no failed create left anything"


def test_json_sign_in_session_and_sign_out(app: Flask) -> None:
    c = app.test_client()
    assert c.get("/api/v1/staff/session").status_code == 401
    bad = _sign_in(c, password="nope nope nope")
    assert bad.status_code == 401 and bad.json["error"]["code"] == "bad_credentials"
    assert _sign_in(c, username="ghost").json["error"]["message"] == bad.json["error"]["message"], "no user probing"
    for body in (None, [], {"username": "proctor1"}, {"username": 1, "password": "x"}):
        r = c.post("/api/v1/staff/session", json=body)
        assert r.status_code == 400 and r.json["error"]["code"] == "bad_request"
    r = _sign_in(c)
    assert r.status_code == 200 and r.json["staff"]["role"] == "proctor"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    csrf = r.json["csrf_token"]
    me = c.get("/api/v1/staff/session")
    assert me.status_code == 200 and me.json["staff"]["username"] == "proctor1"
    refused = c.delete("/api/v1/staff/session")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "csrf_failed"
    assert c.delete("/api/v1/staff/session", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert c.get("/api/v1/staff/session").status_code == 200, "a refused sign-out changed nothing"
    assert c.delete("/api/v1/staff/session", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert c.get("/api/v1/staff/session").status_code == 401


def test_sign_in_is_rate_limited_per_account(app: Flask) -> None:
    c = app.test_client()
    for _ in range(3):
        assert _sign_in(c, password="wrong password!").status_code == 401
    blocked = _sign_in(c)
    assert blocked.status_code == 429 and blocked.json["error"]["code"] == "too_many_attempts"
    assert _sign_in(c, "panitia").status_code == 200, "another account is not blocked"


def test_sign_out_everywhere_ends_every_session(app: Flask, db_url: str) -> None:
    a, b = app.test_client(), app.test_client()
    csrf = _sign_in(a).json["csrf_token"]
    assert _sign_in(b).status_code == 200
    assert a.delete("/api/v1/staff/session?everywhere=1", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert b.get("/api/v1/staff/session").status_code == 401
    with db.session_scope(db_url) as s:
        actions = set(s.scalars(select(AuditEvent.action)))
    assert {"staff.sign_in", "staff.sign_out_everywhere"} <= actions


def test_form_sign_in_with_csrf_and_safe_redirects(app: Flask) -> None:
    c = app.test_client()
    page = c.get("/proctor/")
    assert page.status_code == 302 and "/staff/login" in page.headers["Location"]
    form = c.get("/staff/login?next=//evil.example/x")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    no_csrf = c.post("/staff/login", data={"username": "proctor1", "password": PASSWORD})
    assert no_csrf.status_code == 403 and "sign-in-error" in no_csrf.text
    wrong = c.post("/staff/login", data={"username": "proctor1", "password": "bad password", "csrf_token": token})
    assert wrong.status_code == 401 and 'value="proctor1"' in wrong.text
    ok = c.post("/staff/login", data={"username": "proctor1", "password": PASSWORD, "csrf_token": token,
                                      "next": "//evil.example/x"})
    assert ok.status_code == 302 and ok.headers["Location"] == "/proctor/", "never an open redirect"
    assert c.get("/proctor/").status_code == 200
    assert c.post("/staff/logout", data={}).status_code == 403
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/proctor/").text).group(1)
    assert c.post("/staff/logout", data={"csrf_token": token}).status_code == 302
    assert c.get("/proctor/").status_code == 302


def test_staff_required_roles_and_csrf(app: Flask) -> None:
    c = app.test_client()
    assert c.get("/committee-only").status_code == 302
    assert c.get("/api/v1/committee-only").json["error"]["code"] == "not_signed_in"
    _sign_in(c, "proctor1")
    assert c.get("/committee-only").status_code == 403
    assert c.get("/api/v1/committee-only").json["error"]["code"] == "forbidden"
    other = app.test_client()
    csrf = _sign_in(other, "panitia").json["csrf_token"]
    assert other.get("/committee-only").text == "secret committee page"
    assert other.post("/committee-only").status_code == 403, "unsafe methods need the CSRF token"
    assert other.post("/committee-only", data={"csrf_token": csrf}).text == "secret committee page"
    with pytest.raises(ValueError):
        staff_required("superuser")
