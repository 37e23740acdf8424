"""The console seats a recruitment's eligible applicants in an exam's sessions by site (``recruitment export
--by-site``): a preview (the real export, rolled back) shows who goes to which session and room, or the refusal
naming the site; the confirmation seats them as previewed, writes the PIN list for the cards, audited with its actor;
a stale preview is refused; CSRF and the committee role enforced."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from ground import db
from ground.models import Candidate, Room
from ground.models.registration import Application
from proctor import roster
from registration import selection
from tests.committee.console.conftest import sign_in_form
from tests.committee.console.test_console_pages import actors, count, hidden
from tests.committee.console.test_session_pages import exam_with_two_sessions
from tests.registration.factory import MAN, WOMAN, make_recruitment
from tests.registration.test_selection import submitted

pytestmark = pytest.mark.usefixtures("english")
URL = "/committee/exams/SKD-2026/seating/"


@pytest.fixture
def eligible(app: Flask, db_url: str) -> tuple[int, int]:
    """Two eligible (MS) applicants of CPNS-2026, one preferring Sorong."""
    with db.session_scope(db_url) as s:
        make_recruitment(s)
        a, b = submitted(s, WOMAN, "siti@contoh.id"), submitted(s, MAN, "081298765432")
        for app_id in (a, b):
            for r in selection.detail(s, app_id)["requirements"]:
                selection.mark(s, app_id, r["id"], True, "", actor="staff:v")
        s.get(Application, a).site = "Sorong"  # no session there: refused, naming it
    return a, b


def test_seat_the_eligible_by_site_with_a_preview(app: Flask, db_url: str, tmp_path: Path,
                                                  eligible: tuple[int, int]) -> None:
    a, b = eligible
    client, _landed, csrf = sign_in_form(app, "ketua")
    exam_with_two_sessions(client, csrf, tmp_path)  # S1 Makassar (WITA), S2 Jakarta (WIB): rooms R1-S1, R1-S2
    assert f'href="{URL}"' in client.get("/committee/exams/SKD-2026").get_data(as_text=True)
    page = client.get(URL).get_data(as_text=True)
    assert "CPNS-2026" in page and "2 eligible to seat" in page and "Makassar" in page
    assert "2026-12-01 08:00 WITA" in page and "2026-12-01 13:00 WIB" in page

    r = client.post(URL + "preview", data={"csrf_token": csrf, "recruitment": "CPNS-2026"})
    assert r.status_code == 409 and 'id="seating-error"' in r.get_data(as_text=True)
    assert "Sorong (1)" in r.get_data(as_text=True) and count(db_url, Candidate) == 0
    r = client.post(URL + "preview", data={"csrf_token": csrf, "recruitment": "NOPE"})
    assert r.status_code == 404 and 'id="seating-error"' in r.get_data(as_text=True)

    with db.session_scope(db_url) as s:
        s.get(Application, a).site = " jakarta"
    page = client.post(URL + "preview", data={"csrf_token": csrf, "recruitment": "CPNS-2026"}).get_data(as_text=True)
    assert count(db_url, Candidate) == 0 and actors(db_url, "registration.exported") == []  # only a preview
    rows = page.split('id="seating-rows"')[1]
    assert f'id="seat-R{a:08d}"><td>R{a:08d}</td><td>{WOMAN[1]}</td><td>jakarta</td><td>S2</td><td>Jakarta</td>' \
           f'<td>R1-S2</td>' in rows
    assert f'id="seat-R{b:08d}"><td>R{b:08d}</td><td>{MAN[1]}</td><td>-</td><td>S1</td><td>Makassar</td>' \
           f'<td>R1-S1</td>' in rows
    digest = hidden(page, "digest")

    # a confirmation of another seating than the one shown (a stale preview) is refused, nobody seated
    r = client.post(URL, data={"csrf_token": csrf, "recruitment": "CPNS-2026", "digest": "0" * 64})
    assert r.status_code == 409 and "preview it again" in r.get_data(as_text=True)
    assert count(db_url, Candidate) == 0
    assert client.post(URL, data={"recruitment": "CPNS-2026", "digest": digest}).status_code == 403  # no CSRF

    r = client.post(URL, data={"csrf_token": csrf, "recruitment": "CPNS-2026", "digest": digest})
    assert r.status_code == 302 and r.headers["Location"].endswith("/committee/exams/SKD-2026")
    assert "Seated 2 eligible applicants of CPNS-2026" in client.get(r.headers["Location"]).get_data(as_text=True)
    with db.session_scope(db_url) as s:
        seated = dict(s.execute(select(Candidate.participant_no, Room.code)
                                .join(Room, Room.id == Candidate.room_id)).all())
    assert seated == {f"R{a:08d}": "R1-S2", f"R{b:08d}": "R1-S1"}
    assert actors(db_url, "registration.exported") == ["staff:ketua"]
    pins = roster.read_pins(next((tmp_path / "data").glob("pins-SKD-2026-*.csv")))
    assert sorted((p.participant_no, p.room_code) for p in pins) == [(f"R{a:08d}", "R1-S2"), (f"R{b:08d}", "R1-S1")]
    assert oct((next((tmp_path / "data").glob("pins-SKD-2026-*.csv"))).stat().st_mode & 0o777) == "0o600"

    r = client.post(URL + "preview", data={"csrf_token": csrf, "recruitment": "CPNS-2026"})
    assert r.status_code == 409 and "no eligible applicants left" in r.get_data(as_text=True)  # not twice
    proctor, _landed, pcsrf = sign_in_form(app, "pengawas")
    assert proctor.get(URL).status_code == 403
    assert proctor.post(URL + "preview", data={"csrf_token": pcsrf, "recruitment": "CPNS-2026"}).status_code == 403
