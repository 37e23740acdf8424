"""A staff password reset as a one-time link beside the printed sheet: only the token's hash at rest, one use, a day's
validity, a newer link replacing an older one; the person sets the password themselves; audited with both actors."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from ground import clock, db
from ground.models import AuditEvent
from ground.models.staff import StaffResetLink
from tests.committee.console.conftest import PASSWORD, csrf_of, sign_in_form

pytestmark = pytest.mark.usefixtures("english")


def issue(app: Flask) -> str:
    client, _landed, csrf = sign_in_form(app, "ketua")
    sheet = client.post("/committee/rooms/staff/pengawas/reset-link", data={"csrf_token": csrf})
    assert sheet.status_code == 200
    link = re.search(r'id="sheet-link">([^<]+)<', sheet.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    return "/" + link.split("/", 3)[3]


def test_a_one_time_reset_link(app: Flask, db_url: str) -> None:
    clock.freeze()
    proctor, _landed, _csrf = sign_in_form(app, "pengawas")
    path = issue(app)
    token = path.rsplit("/", 1)[1]
    with db.session_scope(db_url) as s:
        row = s.scalars(select(StaffResetLink)).one()
        assert row.token_hash != token and len(row.token_hash) == 64 and row.created_by == "staff:ketua"

    person = app.test_client()
    form = person.get(path).get_data(as_text=True)
    assert 'id="reset-username">pengawas<' in form
    csrf = csrf_of(form)
    assert person.post(path, data={"password": "x" * 12, "confirm": "x" * 12}).status_code == 403  # no CSRF
    for pw, confirm, words in (("short", "short", "at least 10"), ("a-long-password-1", "another-one-22", "differ")):
        r = person.post(path, data={"csrf_token": csrf, "password": pw, "confirm": confirm})
        assert r.status_code == 400 and words in r.get_data(as_text=True)  # refused, the link still works
    new = "a-brand-new-password"
    r = person.post(path, data={"csrf_token": csrf, "password": new, "confirm": new})
    assert r.status_code == 200 and 'id="reset-done"' in r.get_data(as_text=True)
    assert proctor.get("/api/v1/staff/session").status_code == 401  # the old sign-in ended
    assert app.test_client().post("/api/v1/staff/session",
                                  json={"username": "pengawas", "password": new}).status_code == 200
    assert app.test_client().post("/api/v1/staff/session",
                                  json={"username": "pengawas", "password": PASSWORD}).status_code == 401
    again = person.post(path, data={"csrf_token": csrf, "password": new + "2", "confirm": new + "2"})
    assert again.status_code == 404 and "not valid" in again.get_data(as_text=True)  # once only
    with db.session_scope(db_url) as s:
        acts = dict(s.execute(select(AuditEvent.action, AuditEvent.actor)
                              .where(AuditEvent.action.like("staff.reset_link%"))).all())
    assert acts == {"staff.reset_link_issued": "staff:ketua", "staff.reset_link_used": "staff:pengawas"}

    # a newer link replaces an older one; a link expires after a day
    older, newer = issue(app), issue(app)
    assert person.get(older).status_code == 404 and person.get(newer).status_code == 200
    clock.advance(timedelta(hours=24, seconds=1))
    assert person.get(newer).status_code == 404
    assert person.get("/staff/reset/nothing-like-a-token").status_code == 404
