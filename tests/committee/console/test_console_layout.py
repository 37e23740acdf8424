"""The shared console layout: committee and admin land on the console home, proctors on their dashboard."""

from __future__ import annotations

import pytest
from flask import Flask

from ground import clock, db
from ground.models import Exam
from tests.committee.console.conftest import sign_in_form

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize("username", ["ketua", "admin1"])
def test_committee_lands_on_the_console_with_its_navigation(app: Flask, username: str) -> None:
    client, landed, _csrf = sign_in_form(app, username)
    assert landed == "/committee/"
    page = client.get("/committee/").get_data(as_text=True)
    for key in ("home", "bank", "blueprints", "exams", "rooms", "candidates", "results", "proctor"):
        assert f'id="nav-{key}"' in page, key
    assert 'href="/committee/" id="nav-home" aria-current="page"' in page
    assert 'id="sign-out"' in page and 'id="signed-in-as"' in page and "?lang=id" in page
    assert "Import a question bank, then create the first exam." in page
    assert client.get("/staff/").headers["Location"] == "/committee/"


def test_proctor_lands_on_the_dashboard_and_may_not_open_the_console(app: Flask) -> None:
    client, landed, _csrf = sign_in_form(app, "pengawas")
    assert landed == "/proctor/"
    page = client.get("/proctor/").get_data(as_text=True)
    assert 'id="nav-proctor"' in page and 'id="nav-bank"' not in page  # the same layout, only the proctor's entry
    assert client.get("/committee/").status_code == 403


def test_the_console_speaks_indonesian_by_default(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXAM_LOCALE", raising=False)
    client, _landed, _csrf = sign_in_form(app, "ketua")
    page = client.get("/committee/").get_data(as_text=True)
    assert "Beranda" in page and "Bank soal" in page
    english = client.get("/committee/?lang=en").get_data(as_text=True)
    assert "Home" in english and "Bank" in english


def test_home_names_an_exam_whose_blueprint_does_not_read(app: Flask, db_url: str) -> None:
    with db.session_scope(db_url) as s:
        s.add(Exam(code="RUSAK", title="rusak", duration_s=60, blueprint={}, grading={}, created_at=clock.now()))
    client, _landed, _token = sign_in_form(app, "ketua")
    page = client.get("/committee/")
    assert page.status_code == 200, "one unreadable exam must not take the committee's home down"
    text = page.get_data(as_text=True)
    assert "Exam RUSAK: its blueprint cannot be read:" in text and "Exam RUSAK has no candidates yet." in text
