"""The applicant portal through the Flask app: register, verify with the code the log sender wrote, profile, choose a
formation, upload (wrong type, too big, right), submit (then frozen), the summary PDF; CSRF refusals; messages in
Indonesian by default and in English after the switch; files only for their owner."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from exam_engine.app import create_app
from ground import db
from ground.config import Config
from ground.models import AuditEvent
from ground.models.registration import ApplicationDocument, Formation, Requirement
from tests.registration.factory import MAN, PASSWORD, WOMAN, Outbox, jpeg, make_recruitment, pdf

REC = "CPNS-2026"


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> Flask:
    """The portal on SQLite, and on PostgreSQL when configured (its keys in tmp_path either way)."""
    url = db_url
    with db.session_scope(url) as s:
        make_recruitment(s, REC)
    return create_app(Config(data_dir=tmp_path, database_url=url), async_mode="threading")


@pytest.fixture
def outbox() -> Outbox:
    box = Outbox()
    logger = logging.getLogger("exam_engine.registration.codes")
    logger.addHandler(box)
    yield box
    logger.removeHandler(box)


def csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]


def ids(app: Flask) -> dict[str, int]:
    with db.session_scope(app.extensions["exam_engine"].db_url) as s:
        out = {f"f:{f.code}": f.id for f in s.scalars(select(Formation))}
        out |= {f"r:{r.code}": r.id for r in s.scalars(select(Requirement))}
        return out


def register(client: FlaskClient, outbox: Outbox, who=WOMAN, login: str = "siti.rahmawati@contoh.id") -> None:
    token = csrf(client, "/daftar/register")
    r = client.post("/daftar/register", data={"csrf_token": token, "nik": who[0], "name": who[1],
                                              "birth_date": who[2].isoformat(), "login": login,
                                              "password": PASSWORD, "password2": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"].endswith("/daftar/verify"), r.get_data(as_text=True)
    token = csrf(client, "/daftar/verify")
    r = client.post("/daftar/verify", data={"csrf_token": token, "code": outbox.last_code()})
    assert r.status_code == 302 and r.headers["Location"].endswith("/daftar/account")


def test_register_verify_apply_upload_submit(app: Flask, outbox: Outbox) -> None:
    c = app.test_client()
    home = c.get("/daftar/").get_data(as_text=True)
    assert "Pendaftaran daring" in home and "Seleksi CPNS Kementerian Contoh 2026" in home and 'lang="id"' in home

    # no CSRF token: refused, in Indonesian, nothing created
    r = c.post("/daftar/register", data={"nik": WOMAN[0], "name": WOMAN[1], "birth_date": "1992-05-15",
                                         "login": "x@contoh.id", "password": PASSWORD, "password2": PASSWORD})
    assert r.status_code == 403 and "Formulir kedaluwarsa atau berasal dari situs lain" in r.get_data(as_text=True)
    token = csrf(c, "/daftar/register")
    r = c.post("/daftar/register", data={"csrf_token": token, "nik": WOMAN[0], "name": WOMAN[1],
                                         "birth_date": "1992-05-16", "login": "x@contoh.id", "password": PASSWORD,
                                         "password2": PASSWORD})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "NIK tidak sesuai dengan tanggal lahir." in page
    assert 'value="Siti Nurhaliza Rahmawati"' in page  # what was typed stays (the password does not)
    assert not outbox.texts

    register(c, outbox)
    assert "s***@contoh.id" in outbox.texts[-1]
    account = c.get("/daftar/account").get_data(as_text=True)
    assert WOMAN[1] in account and WOMAN[0] in account and f'id="apply-{REC}"' in account
    token = csrf(c, "/daftar/account")
    r = c.post("/daftar/account/profile", data={"csrf_token": token, "education": "S1 Ilmu Pemerintahan",
                                                "phone": "081234567890", "address": "Bandung"})
    assert r.status_code == 302
    assert "S1 Ilmu Pemerintahan" in c.get("/daftar/account").get_data(as_text=True)

    known = ids(app)
    page = f"/daftar/r/{REC}"
    token = csrf(c, page)
    r = c.post(f"{page}/formation", data={"csrf_token": token, "choice": f"{known['f:PK-02']}:cum_laude"})
    assert r.status_code == 400 and "Pilih salah satu jenis formasi" in r.get_data(as_text=True)
    r = c.post(f"{page}/formation", data={"csrf_token": token, "choice": f"{known['f:AK-01']}:cum_laude",
                                          "site": "  Kota   Makassar "})
    shown = c.get(r.headers["Location"]).get_data(as_text=True)
    assert r.status_code == 302 and "Formasi disimpan." in shown and 'value="Kota Makassar"' in shown  # the site kept

    def upload(req: str, data: bytes, name: str, lang: str = "") -> tuple[int, str]:
        r = c.post(f"{page}/documents/{known['r:' + req]}{lang}", content_type="multipart/form-data",
                   data={"csrf_token": token, "file": (__import__("io").BytesIO(data), name)})
        return r.status_code, r.get_data(as_text=True)

    status, body = upload("foto", pdf(), "foto.jpg")  # a PDF named .jpg: the bytes decide
    assert status == 415 and "Pas foto harus berupa berkas JPEG; berkas ini bukan." in body
    status, body = upload("foto", jpeg((1200, 1600)) + b"\0" * 100 * 1024, "foto.jpg")
    assert status == 413 and "Pas foto paling besar 100 KB" in body
    status, body = upload("ijazah", b"<html><script>alert(1)</script></html>", "ijazah.pdf", "?lang=en")
    assert status == 415 and "Ijazah must be a PDF file; this file is not." in body  # the English switch
    c.get("/daftar/?lang=id")
    token = csrf(c, page)
    status, body = upload("ijazah", pdf("Ijazah S1"), "ijazah.pdf")
    assert status == 302

    r = c.post(f"{page}/submit", data={"csrf_token": token, "confirm": "1"})
    assert r.status_code == 409 and "Belum lengkap: Pas foto." in r.get_data(as_text=True)
    assert upload("foto", jpeg(), "foto.jpeg")[0] == 302
    r = c.post(f"{page}/submit", data={"csrf_token": token})
    assert r.status_code == 400 and "Centang kotak" in r.get_data(as_text=True)
    r = c.post(f"{page}/submit", data={"confirm": "1"})
    assert r.status_code == 403 and r.json["error"]["code"] == "csrf_failed"  # the one error shape
    r = c.post(f"{page}/submit", data={"csrf_token": token, "confirm": "1"})
    assert r.status_code == 302
    done = c.get(page).get_data(as_text=True)
    assert "sudah dikirim" in done and 'id="summary"' in done and 'type="file"' not in done

    status, body = upload("foto", jpeg(), "foto.jpeg")  # frozen
    assert status == 409 and "tidak dapat diubah lagi" in body
    r = c.post(f"{page}/formation", data={"csrf_token": token, "choice": f"{known['f:PK-02']}:general"})
    assert r.status_code == 409

    summary = c.get(f"{page}/summary.pdf")
    assert summary.status_code == 200 and summary.mimetype == "application/pdf"
    assert summary.data.startswith(b"%PDF") and b"attachment" in summary.headers["Content-Disposition"].encode()
    data = c.get("/daftar/account/data.json")
    assert data.json["person"]["nik"] == WOMAN[0] and data.json["applications"][0]["state"] == "submitted"

    with db.session_scope(app.extensions["exam_engine"].db_url) as s:
        doc_id = s.scalar(select(ApplicationDocument.id).order_by(ApplicationDocument.id))
        actions = set(s.scalars(select(AuditEvent.action).where(AuditEvent.actor.like("applicant:%"))))
    assert {"applicant.registered", "applicant.verified", "application.formation_chosen",
            "application.document_uploaded", "application.submitted", "applicant.data_exported"} <= actions
    own = c.get(f"/daftar/documents/{doc_id}")
    assert own.status_code == 200 and own.data.startswith(b"%PDF")
    assert own.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in own.headers["Content-Security-Policy"] and own.headers["X-Content-Type-Options"] == "nosniff"

    other = app.test_client()
    register(other, outbox, MAN, "081298765432")
    assert other.get(f"/daftar/documents/{doc_id}").status_code == 404  # someone else's file does not exist
    assert app.test_client().get(f"/daftar/documents/{doc_id}").status_code == 302  # nor for the anonymous


def test_sign_in_verify_and_refusals(app: Flask, outbox: Outbox) -> None:
    c = app.test_client()
    assert c.get("/daftar/account").headers["Location"].startswith("/daftar/login")
    token = csrf(c, "/daftar/register")
    r = c.post("/daftar/register", data={"csrf_token": token, "nik": "9901011505900001", "name": "A",
                                         "birth_date": "1990-05-15", "login": "a@contoh.id",
                                         "password": PASSWORD, "password2": PASSWORD})
    assert r.status_code == 400 and "NIK tidak diawali kode provinsi." in r.get_data(as_text=True)
    r = c.post("/daftar/register?lang=en", data={"csrf_token": token, "nik": MAN[0], "name": MAN[1],
                                                 "birth_date": "1990-05-15", "login": "budi@contoh.id",
                                                 "password": "short", "password2": "short"})
    assert r.status_code == 400 and "Passwords need at least 10 characters." in r.get_data(as_text=True)
    c.get("/daftar/?lang=id")
    token = csrf(c, "/daftar/register")
    r = c.post("/daftar/register", data={"csrf_token": token, "nik": MAN[0], "name": MAN[1],
                                         "birth_date": "1990-05-15", "login": "budi@contoh.id",
                                         "password": PASSWORD, "password2": PASSWORD})
    assert r.status_code == 302
    assert c.get(f"/daftar/r/{REC}").headers["Location"].endswith("/daftar/verify")  # not verified yet
    token = csrf(c, "/daftar/verify")
    r = c.post("/daftar/verify", data={"csrf_token": token, "code": "12345x"})
    assert r.status_code == 400 and "Kode tersebut salah." in r.get_data(as_text=True)
    c.post("/daftar/logout", data={"csrf_token": token})
    assert c.get("/daftar/account").status_code == 302

    token = csrf(c, "/daftar/login")
    r = c.post("/daftar/login", data={"csrf_token": token, "login": "budi@contoh.id", "password": "wrong-password"})
    assert r.status_code == 401 and "Email/nomor ponsel atau kata sandi salah." in r.get_data(as_text=True)
    r = c.post("/daftar/login", data={"login": "budi@contoh.id", "password": PASSWORD})
    assert r.status_code == 403  # no token
    r = c.post("/daftar/login", data={"csrf_token": token, "login": "BUDI@contoh.id", "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"].endswith("/daftar/verify")
    token = csrf(c, "/daftar/verify")
    c.post("/daftar/verify/resend", data={"csrf_token": token})
    r = c.post("/daftar/verify", data={"csrf_token": token, "code": outbox.last_code()})
    assert r.headers["Location"].endswith("/daftar/account")


def test_sign_ups_and_sign_ins_are_rate_limited(tmp_path: Path) -> None:
    """The portal faces the internet: sign-ups per address (20 x the sign-in limit), failed sign-ins per login."""
    url = f"sqlite:///{tmp_path / 'exam.sqlite3'}"
    db.upgrade(url)
    app = create_app(Config(data_dir=tmp_path, database_url=url, login_attempts=1), async_mode="threading")
    c = app.test_client()
    token = csrf(c, "/daftar/register")
    statuses = [c.post("/daftar/register", data={"csrf_token": token, "nik": "1", "birth_date": "x"}).status_code
                for _ in range(21)]
    assert statuses[:20] == [400] * 20 and statuses[20] == 429
    assert "Terlalu banyak percobaan dari sini" in c.post("/daftar/register", data={"csrf_token": token}).get_data(
        as_text=True)
    other = app.test_client()
    token = csrf(other, "/daftar/login")
    wrong = {"csrf_token": token, "login": "budi@contoh.id", "password": "salah-sekali-1"}
    assert other.post("/daftar/login", data=wrong).status_code == 401
    r = other.post("/daftar/login", data=wrong)
    assert r.status_code == 429 and "Terlalu banyak percobaan masuk yang gagal" in r.get_data(as_text=True)
