"""The console's recruitment pages (issue 17, lane l17): the committee defines a recruitment (period, retention,
formations, documents) with the functions the CLI calls, bad input refused at its place changing nothing; sees the
applications by state; announces MS/TMS and the final list, published signed (PDF, CSV, .sig) on the portal's public
announcement page. Personal data rights: an applicant asks for erasure and the committee carries it out; past a
recruitment's retention date its applicants' data are erased (frozen clock). Every change audited."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from exam_engine.app import create_app
from ground import clock, db
from ground.config import Config
from ground.crypto import load_signing_key
from ground.errors import AppError
from ground.models import AuditEvent
from ground.models.registration import (
    ApplicantAccount,
    Application,
    ApplicationDocument,
    Formation,
    Person,
    Recruitment,
    StoredFile,
)
from ground.people_seal import people_cipher, person_aad
from ground.staff.accounts import create_staff
from registration import people, retention, selection
from registration.senders import LogSender
from scoring.signing import verify_file
from tests.registration.factory import MAN, PASSWORD, WOMAN, make_recruitment
from tests.registration.test_selection import STAFF_PASSWORD, submitted

REC = "CPNS-2026"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def world(tmp_path: Path) -> tuple[Flask, int, int]:
    url = f"sqlite:///{tmp_path / 'exam.sqlite3'}"
    db.upgrade(url)
    with db.session_scope(url) as s:
        make_recruitment(s)
        a = submitted(s, WOMAN, "siti@contoh.id")
        b = submitted(s, MAN, "081298765432")
        create_staff(s, "ketua", STAFF_PASSWORD, "committee")
    return create_app(Config(data_dir=tmp_path, database_url=url), async_mode="threading"), a, b


def committee(app: Flask) -> FlaskClient:
    c = app.test_client()
    r = c.post("/api/v1/staff/session", json={"username": "ketua", "password": STAFF_PASSWORD})
    c.environ_base["HTTP_X_CSRF_TOKEN"] = r.json["csrf_token"]
    return c


def applicant(app: Flask, login: str) -> tuple[FlaskClient, str]:
    c = app.test_client()
    token = TOKEN.search(c.get("/daftar/login").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert c.post("/daftar/login", data={"csrf_token": token, "login": login, "password": PASSWORD}).status_code == 302
    return c, TOKEN.search(c.get("/daftar/account").get_data(as_text=True)).group(1)  # type: ignore[union-attr]


def actions(url: str, prefix: str) -> list[str]:
    with db.session_scope(url) as s:
        return list(s.scalars(select(AuditEvent.action).where(AuditEvent.action.like(prefix + "%"))
                              .order_by(AuditEvent.id)))


def test_the_committee_defines_a_recruitment_in_the_console(world: tuple[Flask, int, int]) -> None:
    app, _a, _b = world
    url = app.extensions["exam_engine"].db_url
    c = committee(app)
    index = c.get("/committee/recruitments/").get_data(as_text=True)
    assert 'id="nav-recruitments"' in index and 'aria-current="page"' in index and REC in index
    r = c.post("/committee/recruitments/", data={"code": "PPPK-2027", "name": "Seleksi PPPK", "opens": "besok",
                                                 "closes": "2027-02-01T16:00"})
    assert r.status_code == 400 and "Dibuka berupa tanggal dan jam" in r.get_data(as_text=True)
    r = c.post("/committee/recruitments/", data={"code": "PPPK-2027", "name": "Seleksi PPPK",
                                                 "opens": "2027-01-01T08:00", "closes": "2027-02-01T16:00",
                                                 "retain": "2027-01-15T00:00"})
    assert r.status_code == 400 and "setidaknya sampai pendaftaran ditutup" in r.get_data(as_text=True)
    with db.session_scope(url) as s:
        assert s.scalar(select(func.count()).select_from(Recruitment)) == 1  # refused: nothing stored
    r = c.post("/committee/recruitments/", data={"code": "PPPK-2027", "name": "Seleksi PPPK",
                                                 "opens": "2027-01-01T08:00", "closes": "2027-02-01T16:00",
                                                 "retain": "2028-02-01T00:00"})
    assert r.status_code == 302 and r.location.endswith("/committee/recruitments/PPPK-2027")
    page = c.get("/committee/recruitments/PPPK-2027").get_data(as_text=True)
    assert "Seleksi PPPK (PPPK-2027)" in page and 'value="2027-01-01T08:00"' in page  # the site's zone (WIB)
    assert c.post("/committee/recruitments/PPPK-2027/formations", data={
        "f_code": "GURU-01", "f_name": "Guru Ahli Pertama", "quota": "0", "paths": "general"}).status_code == 400
    for quota, replace in (("3", "0"), ("5", "1")):
        assert c.post("/committee/recruitments/PPPK-2027/formations", data={
            "f_code": "GURU-01", "f_name": "Guru Ahli Pertama", "quota": quota, "education": "S1 Pendidikan",
            "paths": "general, disability", "replace": replace}).status_code == 302
    r = c.post("/committee/recruitments/PPPK-2027/documents", data={"d_code": "ktp", "d_name": "KTP",
                                                                   "max_kb": "300"})
    assert r.status_code == 400 and "PDF atau JPEG" in r.get_data(as_text=True)
    assert c.post("/committee/recruitments/PPPK-2027/documents", data={
        "d_code": "ktp", "d_name": "KTP", "kinds": ["pdf", "jpeg"], "max_kb": "300"}).status_code == 302
    assert c.post("/committee/recruitments/PPPK-2027", data={"name": "Seleksi PPPK Guru", "closes": "2027-03-01T16:00"}
                  ).status_code == 302
    with db.session_scope(url) as s:
        rec = s.scalar(select(Recruitment).where(Recruitment.code == "PPPK-2027"))
        assert rec.name == "Seleksi PPPK Guru" and clock.isoformat(rec.closes_at).startswith("2027-03-01T09:00")
        f = s.scalar(select(Formation).where(Formation.recruitment_id == rec.id))
        assert (f.quota, f.entry_paths) == (5, ["general", "disability"])
    assert actions(url, "recruitment.")[-5:] == ["recruitment.created", "recruitment.formation_added",
                                                 "recruitment.formation_changed", "recruitment.requirement_added",
                                                 "recruitment.edited"]
    undecided = c.get(f"/committee/recruitments/{REC}?state=undecided").get_data(as_text=True)
    assert "CPNS-2026-000001" in undecided and "CPNS-2026-000002" in undecided
    assert 'id="no-applications"' in c.get(f"/committee/recruitments/{REC}?state=MS").get_data(as_text=True)


def test_announcements_are_published_signed_on_the_portal(world: tuple[Flask, int, int], tmp_path: Path) -> None:
    app, a, b = world
    url = app.extensions["exam_engine"].db_url
    with db.session_scope(url) as s:
        for app_id in (a, b):
            for r in selection.detail(s, app_id)["requirements"]:
                selection.mark(s, app_id, r["id"], True, "", actor="staff:v")
    anon = app.test_client()
    assert "Belum ada pengumuman." in anon.get("/daftar/pengumuman").get_data(as_text=True)
    c = committee(app)
    r = c.post(f"/committee/recruitments/{REC}/announce", data={"stage": "result", "until": "kemarin"})
    assert r.status_code == 400 and "Akhir masa sanggah berupa tanggal dan jam" in r.get_data(as_text=True)
    r = c.post(f"/committee/recruitments/{REC}/announce", data={"stage": "final"})
    assert r.status_code == 409 and "Umumkan hasil MS/TMS terlebih dahulu" in r.get_data(as_text=True)
    until = clock.now() + timedelta(days=3)
    r = c.post(f"/committee/recruitments/{REC}/announce",
               data={"stage": "result", "until": clock.isoformat(until)[:16]})
    assert r.status_code == 302
    assert 'id="announced-result"' in c.get(f"/committee/recruitments/{REC}").get_data(as_text=True)
    page = anon.get("/daftar/pengumuman").get_data(as_text=True)
    assert "Hasil MS/TMS" in page and 'href="/verify"' in page
    key = load_signing_key(tmp_path)
    for ext in ("pdf", "csv"):
        doc = anon.get(f"/daftar/pengumuman/{REC}/result.{ext}")
        sig = anon.get(f"/daftar/pengumuman/{REC}/result.{ext}.sig")
        assert doc.status_code == sig.status_code == 200 and "attachment" in doc.headers["Content-Disposition"]
        (tmp_path / f"got.{ext}").write_bytes(doc.data)
        (tmp_path / f"got.{ext}.sig").write_bytes(sig.data)
        assert verify_file(tmp_path / f"got.{ext}", key.public_key()).sha256
    assert anon.get(f"/daftar/pengumuman/{REC}/final.pdf").status_code == 404  # not announced yet
    assert anon.get(f"/daftar/pengumuman/{REC}/result.txt").status_code == 404
    clock.freeze(until + timedelta(seconds=1))
    try:
        assert c.post(f"/committee/recruitments/{REC}/announce", data={"stage": "final"}).status_code == 302
    finally:
        clock.reset()
    assert anon.get(f"/daftar/pengumuman/{REC}/final.pdf").data[:4] == b"%PDF"


def test_erasure_on_request_and_retention(world: tuple[Flask, int, int]) -> None:
    app, a, b = world
    url = app.extensions["exam_engine"].db_url
    c, token = applicant(app, "siti@contoh.id")
    r = c.post("/daftar/account/erasure", data={"csrf_token": token})
    assert r.status_code == 400 and "Centang kotak" in r.get_data(as_text=True)
    assert c.post("/daftar/account/erasure", data={"csrf_token": token, "confirm": "1"}).status_code == 302
    assert 'id="erasure-requested"' in c.get("/daftar/account").get_data(as_text=True)
    k = committee(app)
    with db.session_scope(url) as s:
        person_id = s.get(Application, a).person_id
        other = s.get(Application, b).person_id
    assert k.post(f"/committee/recruitments/erasure/{other}").status_code == 409  # the other one did not ask
    listed = k.get("/committee/recruitments/").get_data(as_text=True)
    assert "CPNS-2026-000001" in listed and f'id="erase-{person_id}"' in listed
    assert k.post(f"/committee/recruitments/erasure/{person_id}").status_code == 302
    with db.session_scope(url) as s:
        person = s.get(Person, person_id)
        assert person.erased_at is not None and people_cipher(s).open(
            person_aad(person.nik_fp), person.sealed) == {"erased": True}  # not announced: no name kept
        assert s.scalar(select(func.count()).select_from(ApplicantAccount).where(
            ApplicantAccount.person_id == person_id)) == 0
        assert s.scalar(select(func.count()).select_from(ApplicationDocument).where(
            ApplicationDocument.application_id == a)) == 0
        assert s.get(Application, a).number == "CPNS-2026-000001"  # the number and state stay
        assert s.scalar(select(func.count()).select_from(StoredFile)) == 2  # the other's diploma and shared photo
    assert c.get("/daftar/account").status_code == 302  # signed out: the account is gone
    with db.session_scope(url) as s:  # the NIK no longer finds anybody: the person may register anew
        people.register(s, nik=WOMAN[0], name=WOMAN[1], birth_date=WOMAN[2], login="siti.baru@contoh.id",
                        password=PASSWORD, sender=LogSender())

    with db.session_scope(url) as s:  # retention: the date has not passed
        s.scalar(select(Recruitment)).retain_until = clock.now() + timedelta(days=60)
    r = k.post(f"/committee/recruitments/{REC}/expire", data={"confirm": "salah"})
    assert r.status_code == 400 and "Ketik kode seleksi CPNS-2026" in r.get_data(as_text=True)
    r = k.post(f"/committee/recruitments/{REC}/expire", data={"confirm": REC})
    assert r.status_code == 409 and "belum lewat" in r.get_data(as_text=True)
    clock.freeze(clock.now() + timedelta(days=61))
    try:
        assert k.post(f"/committee/recruitments/{REC}/expire", data={"confirm": REC}).status_code == 302
        with pytest.raises(AppError), db.session_scope(url) as s:
            retention.erase(s, other, actor="x", why="retention")  # erased already
    finally:
        clock.reset()
    with db.session_scope(url) as s:
        assert s.get(Person, other).erased_at is not None
        assert s.scalar(select(func.count()).select_from(StoredFile)) == 0
    assert actions(url, "person.erased") == ["person.erased", "person.erased"]
    assert actions(url, "registration.expired") == ["registration.expired"]
    assert actions(url, "applicant.erasure_requested") == ["applicant.erasure_requested"]
