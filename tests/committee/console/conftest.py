"""The console's Flask app on a fresh database with a committee member, an admin and a proctor."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from exam_engine.app import create_app
from ground import db
from ground.config import Config
from ground.staff.accounts import create_staff

PASSWORD = "correct horse battery"


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Flask:
    with db.session_scope(db_url) as s:
        create_staff(s, "ketua", PASSWORD, "committee", display_name="Ketua Panitia")
        create_staff(s, "admin1", PASSWORD, "admin")
        create_staff(s, "pengawas", PASSWORD, "proctor")
    return create_app(Config(data_dir=tmp_path / "data", database_url=db_url), async_mode="threading")


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def sign_in_form(app: Flask, username: str) -> tuple[FlaskClient, str, str]:
    """Sign in through the form as a person would: (client, where it landed, the page's CSRF token)."""
    client = app.test_client()
    token = csrf_of(client.get("/staff/login").get_data(as_text=True))
    r = client.post("/staff/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)
    landed = r.headers["Location"]
    return client, landed, csrf_of(client.get(landed).get_data(as_text=True))
