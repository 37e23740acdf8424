"""Exam sessions (*sesi*) as objects in the console: two sessions at sites in two zones, rooms in each, candidates
who may log in only once their session is open; the key released once, at the first opening; closing stops new
sign-ins; every change audited with its actor; the session overview shows each room's live state."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from ground import db
from ground.models import ExamSession, Room
from proctor import roster
from tests.committee.console.conftest import sign_in_form
from tests.committee.console.files import roster_csv, skd_bank
from tests.committee.console.test_console_pages import actors, count, hidden, upload

pytestmark = pytest.mark.usefixtures("english")


def login(app: Flask, number: str, pin: str, token: str) -> tuple[int, str]:
    r = app.test_client().post("/api/v1/candidate/login",
                               json={"participant_no": number, "pin": pin, "room_token": token})
    body = r.get_json()
    return r.status_code, (body.get("error") or {}).get("code", "")


def exam_with_two_sessions(client: FlaskClient, csrf: str, tmp_path: Path) -> None:
    page, _status = upload(client, "/committee/bank/preview", skd_bank(tmp_path / "bank.csv"), csrf)
    client.post("/committee/bank/commit", data={"csrf_token": csrf, "upload_id": hidden(page, "upload_id")})
    assert client.post("/committee/exams/", data={"csrf_token": csrf, "code": "SKD-2026", "preset": "skd"}) \
        .status_code == 302
    for code, site, zone, start in (("S1", "Makassar", "WITA", "2026-12-01T08:00"),
                                    ("S2", "Jakarta", "WIB", "2026-12-01T13:00")):
        r = client.post("/committee/exams/SKD-2026/sessions/", data={
            "csrf_token": csrf, "session": code, "site": site, "zone": zone, "start": start, "label": f"Sesi {code}"})
        assert r.status_code == 302, r.get_data(as_text=True)
    assert "session S2 has no rooms yet" in client.get("/committee/").get_data(as_text=True)  # a next step
    for sitting, room in (("S1", "R1-S1"), ("S2", "R1-S2")):
        r = client.post(f"/committee/exams/SKD-2026/sessions/{sitting}/rooms",
                        data={"csrf_token": csrf, "room": room, "name": f"Ruang {room}", "capacity": "40"})
        assert r.status_code == 302, r.get_data(as_text=True)


def test_sessions_gate_the_login_and_release_the_key_once(app: Flask, db_url: str, tmp_path: Path) -> None:
    client, _landed, csrf = sign_in_form(app, "ketua")
    exam_with_two_sessions(client, csrf, tmp_path)
    with db.session_scope(db_url) as s:
        rows = {r.code: r for r in s.scalars(select(ExamSession))}
        assert {k: (r.site, r.zone, r.starts_at.strftime("%H:%M"), r.state) for k, r in rows.items()} == {
            "S1": ("Makassar", "WITA", "00:00", "scheduled"), "S2": ("Jakarta", "WIB", "06:00", "scheduled")}
        rooms = {r.code: (r.session_id, r.zone, r.scheduled_start.strftime("%H:%M"), r.capacity)
                 for r in s.scalars(select(Room))}
        assert rooms == {"R1-S1": (rows["S1"].id, "WITA", "00:00", 40), "R1-S2": (rows["S2"].id, "WIB", "06:00", 40)}
    assert actors(db_url, "session.created") == ["staff:ketua", "staff:ketua"]
    exam_page = client.get("/committee/exams/SKD-2026").get_data(as_text=True)
    assert "2026-12-01 08:00 WITA" in exam_page and "2026-12-01 13:00 WIB" in exam_page and "Makassar" in exam_page

    # refusals at their place, nothing stored
    before = count(db_url, ExamSession)
    for form, words in (({"session": "S3", "site": "Jayapura", "zone": "WIT", "start": "besok"}, "date and time"),
                        ({"session": "S1", "site": "Jayapura", "zone": "WIT", "start": "2026-12-01T08:00"},
                         "has a session S1 already"),
                        ({"session": "S3", "site": "", "zone": "WIT", "start": "2026-12-01T08:00"}, "Name the site"),
                        ({"session": "S3", "site": "X", "zone": "CET", "start": "2026-12-01T08:00"}, "WIB, WITA")):
        r = client.post("/committee/exams/SKD-2026/sessions/", data={"csrf_token": csrf, **form})
        assert r.status_code in (400, 409) and 'id="session-error"' in r.get_data(as_text=True), form
        assert words in r.get_data(as_text=True), form
    assert count(db_url, ExamSession) == before
    r = client.post("/committee/exams/SKD-2026/sessions/S1/rooms", data={"csrf_token": csrf, "room": "R9",
                                                                        "capacity": "x"})
    assert r.status_code == 400 and "Capacity is a number" in r.get_data(as_text=True)

    # candidates of both sessions (R1 sesi 1 → R1-S1, sesi 2 → R1-S2), papers issued
    rows_in = [("2026000000", "Peserta 0", "R1", "1"), ("2026000001", "Peserta 1", "R1", "1"),
               ("2026000002", "Peserta 2", "R1", "2")]
    page, _status = upload(client, "/committee/candidates/preview", roster_csv(tmp_path / "ok.csv", rows_in), csrf,
                           exam="SKD-2026", issue_papers="1")
    client.post("/committee/candidates/commit", data={"csrf_token": csrf, "upload_id": hidden(page, "upload_id")})
    pins = {p.participant_no: p.pin for p in roster.read_pins(next((tmp_path / "data").glob("pins-SKD-2026-*.csv")))}
    with db.session_scope(db_url) as s:
        tokens = dict(s.execute(select(Room.code, Room.token)).all())
        s.execute(Room.__table__.update().values(is_open=True))  # a proctor opened the rooms: the session still gates

    assert login(app, "2026000000", pins["2026000000"], tokens["R1-S1"]) == (403, "session_not_open")

    # opening: the session code typed again; the key released with it, once
    r = client.post("/committee/exams/SKD-2026/sessions/S1/open", data={"csrf_token": csrf, "confirm": "s1"})
    assert r.status_code == 400 and "Type the session code S1" in r.get_data(as_text=True)
    assert actors(db_url, "exam_key_released") == []
    r = client.post("/committee/exams/SKD-2026/sessions/S1/open", data={"csrf_token": csrf, "confirm": "S1"})
    assert r.status_code == 302
    assert actors(db_url, "session.opened") == ["staff:ketua"]
    assert actors(db_url, "exam_key_released") == ["staff:ketua"]
    assert login(app, "2026000000", pins["2026000000"], tokens["R1-S1"])[0] == 200
    assert login(app, "2026000002", pins["2026000002"], tokens["R1-S2"]) == (403, "session_not_open")
    again = client.post("/committee/exams/SKD-2026/sessions/S1/open", data={"csrf_token": csrf, "confirm": "S1"})
    assert again.status_code == 409 and "only a scheduled session opens" in again.get_data(as_text=True)

    # the overview: every room of the session with its live state, linked to its proctor view
    overview = client.get("/committee/exams/SKD-2026/sessions/S1").get_data(as_text=True)
    with db.session_scope(db_url) as s:
        room_id = s.scalar(select(Room.id).where(Room.code == "R1-S1"))
    assert f'href="/proctor/?room={room_id}"' in overview and 'id="session-room-R1-S1"' in overview
    assert "2026-12-01 08:00 WITA" in overview and "R1-S2" not in overview and 'id="session-close"' in overview
    assert "/committee/exams/SKD-2026/sessions/S1" in client.get("/committee/").get_data(as_text=True)

    # the second session's opening finds the key released: not released twice
    client.post("/committee/exams/SKD-2026/sessions/S2/open", data={"csrf_token": csrf, "confirm": "S2"})
    assert actors(db_url, "exam_key_released") == ["staff:ketua"]
    assert login(app, "2026000002", pins["2026000002"], tokens["R1-S2"])[0] == 200

    # closing S1: no new sign-ins there; audited with the actor
    assert client.post("/committee/exams/SKD-2026/sessions/S1/close", data={"csrf_token": csrf}).status_code == 302
    assert actors(db_url, "session.closed") == ["staff:ketua"]
    assert login(app, "2026000001", pins["2026000001"], tokens["R1-S1"]) == (403, "session_not_open")
    assert 'id="session-closed"' in client.get("/committee/exams/SKD-2026/sessions/S1").get_data(as_text=True)
    assert client.get("/committee/exams/SKD-2026/sessions/S9").status_code == 404


def test_session_posts_need_the_csrf_token_and_the_committee(app: Flask, db_url: str) -> None:
    client, _landed, _csrf = sign_in_form(app, "ketua")
    urls = ["/committee/exams/X/sessions/", "/committee/exams/X/sessions/S1/rooms",
            "/committee/exams/X/sessions/S1/open", "/committee/exams/X/sessions/S1/close"]
    for url in urls:
        r = client.post(url, data={"confirm": "S1"})
        assert r.status_code == 403 and r.json["error"]["code"] == "csrf_failed", url  # type: ignore[index]
    proctor, _landed, csrf = sign_in_form(app, "pengawas")
    for url in urls:
        assert proctor.post(url, data={"csrf_token": csrf}).status_code == 403, url


def test_the_rooms_page_adds_a_room_to_a_session(app: Flask, db_url: str, tmp_path: Path) -> None:
    """Rooms & staff: a room made there joins a session of its exam and takes its start and zone; an exam with
    sessions gets no room outside them; a session of another exam (or none) is refused at its place."""
    client, _landed, csrf = sign_in_form(app, "ketua")
    exam_with_two_sessions(client, csrf, tmp_path)
    rooms_page = client.get("/committee/rooms/").get_data(as_text=True)
    assert '<optgroup label="SKD-2026"><option value="S1"' in rooms_page
    assert ">S1 · Makassar · 2026-12-01 08:00 WITA</option>" in rooms_page
    before = count(db_url, Room)
    for form, status, words in (({"session": ""}, 400, "SKD-2026 has sessions: choose the session of the room"),
                                ({"session": "S9"}, 404, "has no session S9")):
        r = client.post("/committee/rooms/", data={"csrf_token": csrf, "exam": "SKD-2026", "code": "R2-S2",
                                                   "capacity": "30", "start": "2026-12-02T09:00", "zone": "WIT",
                                                   **form})
        assert r.status_code == status and 'id="rooms-error"' in r.get_data(as_text=True), form
        assert words in r.get_data(as_text=True) and 'value="R2-S2"' in r.get_data(as_text=True)
    assert count(db_url, Room) == before
    r = client.post("/committee/rooms/", data={"csrf_token": csrf, "exam": "SKD-2026", "session": "S2",
                                               "code": "R2-S2", "name": "Ruang 2", "capacity": "30",
                                               "start": "2026-12-02T09:00", "zone": "WIT"})  # the session's time wins
    assert r.status_code == 302
    with db.session_scope(db_url) as s:
        room = s.scalar(select(Room).where(Room.code == "R2-S2"))
        sitting = s.scalar(select(ExamSession).where(ExamSession.code == "S2"))
        assert (room.session_id, room.zone, room.scheduled_start, room.capacity) == (
            sitting.id, "WIB", sitting.starts_at, 30)
    assert 'id="session-room-R2-S2"' in client.get("/committee/exams/SKD-2026/sessions/S2").get_data(as_text=True)
    assert actors(db_url, "room.created")[-1] == "staff:ketua"
