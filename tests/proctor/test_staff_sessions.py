"""Staff sessions end with their right: each sign-in is a server-side row; signing out, disabling the account or
changing its password deletes it, so copied cookies and open dashboards die at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import socketio
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.app import create_app
from ground import db
from ground.config import Config
from ground.errors import AppError
from ground.models import AuditEvent, Room
from ground.models.staff import StaffSession, StaffUser
from ground.staff.accounts import authenticate, create_staff, end_session, set_active, set_password, start_session
from proctor import actions
from tests.live import LiveServer
from tests.proctor.clients import Proctor, staff_creds

PASSWORD = "correct horse battery"
WHOAMI = "/api/v1/staff/session"


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    with db.session_scope(db_url) as s:
        create_staff(s, "proctor1", PASSWORD, "proctor")
    yield create_app(Config(data_dir=tmp_path / "data", database_url=db_url), async_mode="threading")


def _signed_in(app: Flask) -> tuple[FlaskClient, str]:
    c = app.test_client()
    r = c.post(WHOAMI, json={"username": "proctor1", "password": PASSWORD})
    assert r.status_code == 200
    return c, r.json["csrf_token"]


def _copy(app: Flask, c: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``c``'s session cookie."""
    cookie = c.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie.value)
    return thief


def _sessions(db_url: str) -> list[str]:
    with db.session_scope(db_url) as s:
        return list(s.scalars(select(StaffSession.token_hash)))


def test_a_copied_cookie_dies_with_an_ordinary_sign_out(app: Flask, db_url: str) -> None:
    c, csrf = _signed_in(app)
    thief = _copy(app, c)
    other, _ = _signed_in(app)
    assert thief.get(WHOAMI).status_code == 200, "a copy works while the sign-in stands"
    stored = _sessions(db_url)
    assert len(stored) == 2 and all(len(h) == 64 for h in stored)
    cookie = c.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert not any(h in cookie for h in stored), "the database keeps only a hash of the token"
    assert c.delete(WHOAMI, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert c.get(WHOAMI).status_code == 401
    assert thief.get(WHOAMI).json["error"]["code"] == "not_signed_in", "the copied cookie is dead too"
    assert other.get(WHOAMI).status_code == 200, "another sign-in of the account stands"
    assert len(_sessions(db_url)) == 1
    with db.session_scope(db_url) as s:
        assert "staff.sign_out" in set(s.scalars(select(AuditEvent.action)))


@pytest.mark.parametrize("change", [
    lambda s: set_active(s, "proctor1", False),
    lambda s: set_password(s, "proctor1", "another long password"),
], ids=["disabled", "new_password"])
def test_disabling_or_a_new_password_ends_every_sign_in(
    app: Flask, db_url: str, change: Callable[[Session], None]
) -> None:
    clients = [_signed_in(app)[0] for _ in range(2)]
    with db.session_scope(db_url) as s:
        change(s)
    assert [c.get(WHOAMI).status_code for c in clients] == [401, 401]
    assert _sessions(db_url) == []
    with db.session_scope(db_url) as s:
        set_active(s, "proctor1", True)
    assert clients[0].get(WHOAMI).status_code == 401, "enabling again does not revive old sessions"


def test_actions_recheck_the_sign_in(db_url: str) -> None:
    with db.session_scope(db_url) as s:
        create_staff(s, "panitia", PASSWORD, "committee")
        _token, who = start_session(s, authenticate(s, "panitia", PASSWORD))
    with db.session_scope(db_url) as s:
        assert actions.authorize_account(s, who).session_id == who.session_id
        assert who.session_id is not None
        end_session(s, who.session_id)
    with db.session_scope(db_url) as s, pytest.raises(AppError) as err:
        actions.authorize_account(s, who)
    assert err.value.code == "not_signed_in"


def _closed(p: Proctor) -> threading.Event:
    """Set when the server closes ``p``'s ``/proctor`` connection."""
    done = threading.Event()
    p.sio.on("disconnect", lambda *_a: done.set(), namespace="/proctor")
    return done


def _cookie_copy(p: Proctor) -> Proctor:
    """A second live dashboard on a copy of ``p``'s cookie."""
    thief = Proctor.__new__(Proctor)
    thief.__dict__.update(p.__dict__)
    thief.pushes = type(p.pushes)()
    thief.sio = socketio.Client(reconnection=False)
    thief.sio.on("signed_out", lambda data=None: thief.pushes.put(("signed_out", data, 0.0)), namespace="/proctor")
    thief.connect()
    return thief


def test_sign_out_disable_and_new_password_close_live_dashboards(server: LiveServer) -> None:
    with db.session_scope(server.db_url) as s:
        room = s.scalar(select(Room.id).where(Room.code == server.creds["room"]))
    user, password = staff_creds(server, "proctor")
    p, other = Proctor(server, user, password), Proctor(server, user, password)
    thief = _cookie_copy(p)
    for c in (p, other, thief):
        assert c.call("join", {"room": room})["ok"]
    gone = [_closed(p), _closed(thief)]
    # an ordinary sign-out: this sign-in's dashboards (the copied cookie's too) are told and closed at once
    assert p.http.delete(server.url + WHOAMI, headers={"X-CSRF-Token": p.csrf}, timeout=10).status_code == 200
    p.wait_for("signed_out")
    thief.wait_for("signed_out")
    assert all(e.wait(10) for e in gone)
    with pytest.raises(socketio.exceptions.ConnectionError):
        _cookie_copy(p)
    assert other.call("rooms")["ok"], "the account's other sign-in stands"

    # disabled from the command line (another process): the open dashboard closes within a second or so
    closed = _closed(other)
    server._cli("staff", "disable", user)
    other.wait_for("signed_out")
    assert closed.wait(10) and not other.sio.connected
    assert other.http.get(server.url + WHOAMI, timeout=10).status_code == 401

    # a new password from the command line: the committee's dashboard closes the same way
    cuser, cpassword = staff_creds(server, "committee")
    committee = Proctor(server, cuser, cpassword)
    assert committee.call("join", {"room": room})["ok"]
    closed = _closed(committee)
    server._cli("staff", "password", cuser, "--password", "a brand new password")
    committee.wait_for("signed_out")
    assert closed.wait(10)
    assert committee.http.get(server.url + WHOAMI, timeout=10).status_code == 401
    with db.session_scope(server.db_url) as s:
        assert s.scalar(select(StaffUser.active).where(StaffUser.username == user)) is False
    for c in (p, other, thief, committee):
        c.close()
