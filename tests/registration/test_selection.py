"""Administrative selection: a verifier's queue, the documents beside the requirements, met / not met with a reason
(CSRF-checked, audited with the verifier's name), MS/TMS per application; other roles kept out; the eligible become
candidates of an exam through the candidate import, once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from exam_engine.app import create_app
from ground import db
from ground.config import Config
from ground.errors import AppError
from ground.keyring import pin_pepper_for
from ground.models import AuditEvent, Candidate, Room
from ground.models.registration import Application, Recruitment
from ground.passwords import verify_pin
from ground.staff.accounts import create_staff
from registration import applications, export, recruitments, selection
from tests.registration.factory import MAN, PASSWORD, WOMAN, jpeg, make_recruitment, pdf, register
from tests.scoring.scoring_factory import make_exam

STAFF_PASSWORD = "verifikasi-berkas-1"


def submitted(session, who_data, login) -> int:
    """An applicant who applied to AK-01 on the general path with both documents, submitted."""
    who = register(session, who_data, login)
    rec = session.scalar(select(Recruitment))
    view = recruitments.view(session, rec)
    forms = {f["code"]: f["id"] for f in view.formations}
    reqs = {r["code"]: r["id"] for r in view.requirements}
    applications.choose_formation(session, who, rec.code, forms["AK-01"], "general")
    applications.upload(session, who, rec.code, reqs["ijazah"], applications.Upload(pdf(), "i.pdf"))
    applications.upload(session, who, rec.code, reqs["foto"], applications.Upload(jpeg(), "f.jpg"))
    applications.submit(session, who, rec.code)
    return session.scalar(select(Application.id).where(Application.person_id == who.person_id))


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> tuple[Flask, int, int]:
    """Two submitted applicants and the staff, on SQLite and on PostgreSQL when configured."""
    url = db_url
    with db.session_scope(url) as s:
        make_recruitment(s)
        a = submitted(s, WOMAN, "siti@contoh.id")
        b = submitted(s, MAN, "081298765432")
        create_staff(s, "verifikator1", STAFF_PASSWORD, "verifier")
        create_staff(s, "pengawas1", STAFF_PASSWORD, "proctor")
    return create_app(Config(data_dir=tmp_path, database_url=url), async_mode="threading"), a, b


def staff(app: Flask, username: str) -> FlaskClient:
    c = app.test_client()
    r = c.post("/api/v1/staff/session", json={"username": username, "password": STAFF_PASSWORD})
    assert r.status_code == 200
    return c


def token(c: FlaskClient, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', c.get(path).get_data(as_text=True)).group(1)  # type: ignore[union-attr]


def test_a_verifier_marks_each_requirement(world: tuple[Flask, int, int]) -> None:
    app, a, b = world
    assert app.test_client().get("/verifikasi/").headers["Location"].startswith("/staff/login")
    assert staff(app, "pengawas1").get("/verifikasi/").status_code == 403
    v = staff(app, "verifikator1")
    assert v.get("/staff/").headers["Location"] == "/verifikasi/"  # a verifier's home is the queue
    queue = v.get("/verifikasi/").get_data(as_text=True)
    assert 'id="nav-selection"' in queue and 'id="nav-proctor"' not in queue  # no rooms to watch: no dashboard link
    assert "CPNS-2026-000001" in queue and "CPNS-2026-000002" in queue and "0 / 2" in queue

    page = f"/verifikasi/applications/{a}"
    body = v.get(page).get_data(as_text=True)
    assert WOMAN[1] in body and WOMAN[0] in body and "S1 semua jurusan" in body  # the person beside the rules
    docs = re.findall(r'/verifikasi/documents/(\d+)', body)
    assert len(set(docs)) == 2 and 'class="preview"' in body  # the photo shown, the diploma a download
    got = v.get(f"/verifikasi/documents/{docs[0]}")
    assert got.status_code == 200 and got.headers["Content-Disposition"].startswith("attachment;")
    assert app.test_client().get(f"/verifikasi/documents/{docs[0]}").status_code == 302

    with db.session_scope(app.extensions["exam_engine"].db_url) as s:
        reqs = {r["code"]: r["id"] for r in selection.detail(s, a)["requirements"]}
    csrf = token(v, page)
    mark = f"{page}/requirements/{reqs['foto']}"
    assert v.post(mark, data={"met": "0", "reason": "x"}).status_code == 403  # no CSRF token
    r = v.post(mark, data={"csrf_token": csrf, "met": "0", "reason": "  "})
    assert r.status_code == 400 and "Berikan alasan syarat tidak terpenuhi." in r.get_data(as_text=True)
    assert v.post(mark, data={"csrf_token": csrf, "met": "0", "reason": "Foto tidak berlatar merah"}).status_code == 302
    assert v.post(f"{page}/requirements/{reqs['ijazah']}", data={"csrf_token": csrf, "met": "1"}).status_code == 302
    body = v.get(page).get_data(as_text=True)
    assert "<strong>TMS</strong>" in body and "Foto tidak berlatar merah" in body
    assert v.post(mark, data={"csrf_token": csrf, "met": "1", "reason": ""}).status_code == 302  # a second look
    assert "<strong>MS</strong>" in v.get(page).get_data(as_text=True)

    # the four-eyes check: the one who marked cannot confirm; a second verifier can; a changed mark needs it again
    confirm = f"{mark}/confirm"
    r = v.post(confirm, data={"csrf_token": csrf})
    assert r.status_code == 409 and "verifikator kedua" in r.get_data(as_text=True)
    with db.session_scope(app.extensions["exam_engine"].db_url) as s:
        create_staff(s, "verifikator2", STAFF_PASSWORD, "verifier")
    second = staff(app, "verifikator2")
    body = second.get(page).get_data(as_text=True)
    assert 'id="confirm-foto"' in body and 'id="confirm-foto"' not in v.get(page).get_data(as_text=True)
    assert second.post(confirm, data={}).status_code == 403  # CSRF
    assert second.post(confirm, data={"csrf_token": token(second, page)}).status_code == 302
    assert "dikonfirmasi oleh staff:verifikator2" in second.get(page).get_data(as_text=True)
    assert v.post(f"/verifikasi/applications/{b}/requirements/999", data={"csrf_token": csrf, "met": "1"}
                  ).status_code == 404

    with db.session_scope(app.extensions["exam_engine"].db_url) as s:
        rows = s.execute(select(AuditEvent.action, AuditEvent.actor, AuditEvent.details, AuditEvent.reason)
                         .where(AuditEvent.action.like("selection.%")).order_by(AuditEvent.id)).all()
    assert [r[0] for r in rows] == ["selection.marked", "selection.marked", "selection.decided", "selection.marked",
                                    "selection.decided", "selection.confirmed"]
    assert {r[1] for r in rows[:5]} == {"staff:verifikator1"} and rows[0][3] == "Foto tidak berlatar merah"
    assert rows[5][1] == "staff:verifikator2" and rows[5][2]["marked_by"] == "staff:verifikator1"
    assert [r[2].get("result") for r in rows if r[0] == "selection.decided"] == ["TMS", "MS"]


def test_the_eligible_become_candidates_once(world: tuple[Flask, int, int]) -> None:
    app, a, b = world
    url = app.extensions["exam_engine"].db_url
    with db.session_scope(url) as s:
        for app_id, met in ((a, True), (b, False)):
            for r in selection.detail(s, app_id)["requirements"]:
                selection.mark(s, app_id, r["id"], met or r["code"] == "ijazah", "" if met else "Ijazah belum sah",
                               actor="staff:v")
        with pytest.raises(AppError):
            selection.mark(s, a, r["id"], False, "", actor="staff:v")  # not met needs a reason
        exam = make_exam(s).exam
        woman = s.get(Application, a)
        woman.entry_path = "cum_laude"  # the mini exam grades the general path only: refused, nobody exported
        with pytest.raises(AppError, match="cum_laude") as unknown:
            export.export_eligible(s, "CPNS-2026", exam, "R1", "1", actor="cli:test")
        assert unknown.value.code == "unknown_entry_path" and s.scalar(select(Candidate.id)) is None
        woman.entry_path = "general"
        issued = export.export_eligible(s, "CPNS-2026", exam, "R1", "1", actor="cli:test")
        assert [(i.participant_no, i.name, i.birth_date, i.room_code) for i in issued] == [
            (f"R{a:08d}", WOMAN[1], "1992-05-15", "R1-S1")]
        assert len(issued[0].pin) == 6
        cand = s.scalar(select(Candidate))
        assert (cand.formation, cand.entry_path, cand.name) == ("Analis Kebijakan Ahli Pertama", "general", WOMAN[1])
        assert s.scalar(select(Room.code)) == "R1-S1"
        assert s.get(Application, a).candidate_id == cand.id and s.get(Application, b).candidate_id is None
        assert export.export_eligible(s, "CPNS-2026", exam, "R1", "1", actor="cli:test") == []  # not twice
        pin_hash = cand.pin_hash
        pepper = pin_pepper_for(s)

    # the exam card in the portal: the PIN that logs in, the participant number, the photo; not for the TMS one
    woman, man = app.test_client(), app.test_client()
    for client, login in ((woman, "siti@contoh.id"), (man, "081298765432")):
        page = client.get("/daftar/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        assert client.post("/daftar/login", data={"csrf_token": csrf, "login": login, "password": PASSWORD}
                           ).status_code == 302
    assert 'id="card"' in woman.get("/daftar/r/CPNS-2026").get_data(as_text=True)
    got = woman.get("/daftar/r/CPNS-2026/card.pdf")
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    text = got.data.decode("latin-1")
    pin = re.search(r"\((\d{6})\) Tj", text).group(1)  # type: ignore[union-attr]
    assert verify_pin(pin_hash, pin, pepper=pepper) and f"R{a:08d}" in text and "/Subtype /Image" in text
    assert man.get("/daftar/r/CPNS-2026/card.pdf").status_code == 409
    history = woman.get("/daftar/account/data.json").json["applications"][0]["exam"]
    assert history == {"exam": "SKD-T", "participant_no": f"R{a:08d}", "scores": None}  # not sat yet
    assert 'id="card"' not in man.get("/daftar/r/CPNS-2026").get_data(as_text=True)


def test_the_eligible_fill_rooms_by_capacity(world: tuple[Flask, int, int]) -> None:
    app, a, b = world
    with db.session_scope(app.extensions["exam_engine"].db_url) as s:
        for app_id in (a, b):
            for r in selection.detail(s, app_id)["requirements"]:
                selection.mark(s, app_id, r["id"], True, "", actor="staff:v")
        exam = make_exam(s).exam
        s.add_all([Room(exam_id=exam.id, code=code, name=code, capacity=1, is_open=False) for code in ("RA", "RB")])
        s.flush()
        for rooms, code in ((["RA"], "no_seats"), (["RA", "NOPE"], "bad_room")):
            with pytest.raises(AppError) as refused:
                export.export_eligible(s, "CPNS-2026", exam, rooms, "", actor="cli:test")
            assert refused.value.code == code and s.scalar(select(Candidate.id)) is None
        issued = export.export_eligible(s, "CPNS-2026", exam, ["RA", "RB"], "", actor="cli:test")
        assert [(i.participant_no, i.room_code) for i in issued] == [(f"R{a:08d}", "RA"), (f"R{b:08d}", "RB")]


def test_the_eligible_are_seated_by_their_preferred_site(world: tuple[Flask, int, int]) -> None:
    from datetime import UTC, datetime

    from proctor import exam_sessions
    from proctor.rooms import add_room

    app, a, b = world
    with db.session_scope(app.extensions["exam_engine"].db_url) as s:
        for app_id in (a, b):
            for r in selection.detail(s, app_id)["requirements"]:
                selection.mark(s, app_id, r["id"], True, "", actor="staff:v")
        exam = make_exam(s).exam
        with pytest.raises(AppError) as refused:
            export.export_eligible(s, "CPNS-2026", exam, None, "", actor="cli:test")
        assert refused.value.code == "no_sessions"
        for code, site, zone, hour, room in (("S1", "Makassar", "WITA", 0, "MK1"), ("S2", "Jakarta", "WIB", 6, "JK1")):
            sitting = exam_sessions.add_session(s, exam, code, site=site, zone=zone, actor="cli:test",
                                                start=datetime(2026, 12, 1, hour, tzinfo=UTC))
            add_room(s, exam, room, capacity=1, exam_session=sitting, actor="cli:test")
        first, second = s.get(Application, a), s.get(Application, b)
        for prefs, code, named in ((("Sorong", ""), "unknown_site", "Sorong (1)"),
                                   (("Jakarta", " jakarta "), "no_seats_at_site", "jakarta (1)")):
            first.site, second.site = prefs
            with pytest.raises(AppError) as refused:
                export.export_eligible(s, "CPNS-2026", exam, None, "", actor="cli:test")
            assert refused.value.code == code and named in refused.value.message
            assert s.scalar(select(Candidate.id)) is None
        first.site, second.site = "  JAKARTA", ""  # the second has no preference: the earliest session's free seat
        issued = export.export_eligible(s, "CPNS-2026", exam, None, "", actor="cli:test")
        assert [(i.participant_no, i.room_code) for i in issued] == [(f"R{a:08d}", "JK1"), (f"R{b:08d}", "MK1")]
        seated = dict(s.execute(select(Candidate.participant_no, Room.session_id)
                                .join(Room, Room.id == Candidate.room_id)).all())
        assert seated[f"R{a:08d}"] == exam_sessions.get_session(s, exam, "S2").id
