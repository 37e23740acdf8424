"""Announcements and objections (sanggah): the signed MS/TMS list waits for every decision and opens the window; a
TMS applicant objects once, within it, through the portal; a verifier may read but only the committee answers; an
accepted objection makes the application MS; the signed final list waits for the window and every answer."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from exam_engine.app import create_app
from ground import clock, db
from ground.config import Config
from ground.crypto import load_signing_key
from ground.errors import AppError
from ground.models import AuditEvent
from ground.models.registration import Application, Objection, Person, StoredFile
from ground.staff.accounts import create_staff
from registration import announcements, retention, selection
from scoring.signing import verify_file
from tests.registration.factory import MAN, PASSWORD, WOMAN, jpeg
from tests.registration.test_selection import STAFF_PASSWORD, submitted

REC = "CPNS-2026"


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> tuple[Flask, int, int]:
    """Two submitted applicants and the staff, on SQLite and on PostgreSQL when configured."""
    url = db_url
    from tests.registration.factory import make_recruitment

    with db.session_scope(url) as s:
        make_recruitment(s)
        a = submitted(s, WOMAN, "siti@contoh.id")
        b = submitted(s, MAN, "081298765432")
        create_staff(s, "verifikator1", STAFF_PASSWORD, "verifier")
        create_staff(s, "ketua", STAFF_PASSWORD, "committee")
    return create_app(Config(data_dir=tmp_path, database_url=url), async_mode="threading"), a, b


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_announce_object_answer_and_the_final_list(world: tuple[Flask, int, int], tmp_path: Path) -> None:
    app, a, b = world
    url = app.extensions["exam_engine"].db_url
    key = load_signing_key(tmp_path)
    out, final = (announcements.published(tmp_path, REC, stage, "csv") for stage in ("result", "final"))
    until = clock.now() + timedelta(days=3)
    with db.session_scope(url) as s:
        with pytest.raises(AppError) as undecided:
            announcements.announce_result(s, REC, tmp_path, until, key, actor="cli:ketua")
        assert undecided.value.code == "undecided" and len(undecided.value.details["problems"]) == 2
        for app_id, photo_ok in ((a, False), (b, True)):
            for r in selection.detail(s, app_id)["requirements"]:
                met = photo_ok or r["code"] != "foto"
                selection.mark(s, app_id, r["id"], met, "" if met else "Latar foto bukan merah", actor="staff:v")
        assert announcements.announce_result(s, REC, tmp_path, until, key, actor="cli:ketua") == 2
    assert verify_file(out, key.public_key()).sha256
    pdf = out.with_suffix(".pdf")  # the same list as PDF, signed too, for the portal's announcement page
    assert pdf.read_bytes()[:4] == b"%PDF" and verify_file(pdf, key.public_key()).sha256
    listed = {r["registration_number"]: r for r in rows(out)}
    assert listed["CPNS-2026-000001"]["result"] == "TMS" and "Pas foto: Latar foto bukan merah" in listed[
        "CPNS-2026-000001"]["reasons"]
    assert listed["CPNS-2026-000002"]["result"] == "MS" and listed["CPNS-2026-000002"]["name"] == MAN[1]
    assert out.stat().st_mode & 0o077 == 0

    with db.session_scope(url) as s:  # announced: marks are frozen (objections change them)
        req = selection.detail(s, a)["requirements"][1]["id"]
        with pytest.raises(AppError, match="hanya dapat berubah melalui sanggah"):
            selection.mark(s, a, req, True, "", actor="staff:v")
    with db.session_scope(url) as s:  # the final list waits for the window; nothing is purged before it
        with pytest.raises(AppError) as early:
            retention.purge(s, REC, actor="cli:ketua")
        assert early.value.code == "not_final"
        with pytest.raises(AppError) as still_open:
            announcements.announce_final(s, REC, tmp_path, key, actor="cli:ketua")
        assert still_open.value.code == "objections_open"

    # the TMS applicant objects in the portal (the MS one may not)
    c = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/daftar/login").get_data(as_text=True)).group(1)
    assert c.post("/daftar/login", data={"csrf_token": token, "login": "siti@contoh.id", "password": PASSWORD}
                  ).status_code == 302
    page = c.get(f"/daftar/r/{REC}").get_data(as_text=True)
    assert 'id="objection-form"' in page and "Sanggah diterima sampai" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # a new one after signing in
    r = c.post(f"/daftar/r/{REC}/objection", data={"csrf_token": token, "text": "pendek"})
    assert r.status_code == 400 and "10 sampai 2000 karakter" in r.get_data(as_text=True)
    assert c.post(f"/daftar/r/{REC}/objection", data={"text": "Foto saya berlatar merah, lihat ulang."}
                  ).status_code == 403
    r = c.post(f"/daftar/r/{REC}/objection", data={"csrf_token": token, "text": "Foto saya berlatar merah, lihat.",
                                                    "file": (io.BytesIO(b"<html>bukan foto</html>"), "foto.jpg")})
    assert r.status_code == 415 and "Lampiran harus berupa berkas PDF / JPEG" in r.get_data(as_text=True)
    big = jpeg() + b"\0" * announcements.MAX_ATTACHMENT
    r = c.post(f"/daftar/r/{REC}/objection", data={"csrf_token": token, "text": "Foto saya berlatar merah, lihat.",
                                                    "file": (io.BytesIO(big), "foto.jpg")})
    assert r.status_code == 413 and "Lampiran paling besar 2048 KB" in r.get_data(as_text=True)
    photo = jpeg((90, 120))
    r = c.post(f"/daftar/r/{REC}/objection", data={"csrf_token": token, "text": "Foto saya berlatar merah, lihat.",
                                                    "file": (io.BytesIO(photo), "foto-asli.jpg")})
    assert r.status_code == 302
    assert 'id="objection-attached"' in c.get(f"/daftar/r/{REC}").get_data(as_text=True)
    r = c.post(f"/daftar/r/{REC}/objection", data={"csrf_token": token, "text": "Sekali lagi, mohon dilihat ulang."})
    assert r.status_code == 409 and "sudah mengajukan sanggah" in r.get_data(as_text=True)
    assert "Panitia belum menjawab." in c.get(f"/daftar/r/{REC}").get_data(as_text=True)

    verifier, committee = app.test_client(), app.test_client()
    for client, name in ((verifier, "verifikator1"), (committee, "ketua")):
        r = client.post("/api/v1/staff/session", json={"username": name, "password": STAFF_PASSWORD})
        client.environ_base["HTTP_X_CSRF_TOKEN"] = r.json["csrf_token"]
    seen = verifier.get(f"/verifikasi/applications/{a}").get_data(as_text=True)
    assert "Foto saya berlatar merah, lihat." in seen and 'id="answer-form"' not in seen
    attached = verifier.get(f"/verifikasi/applications/{a}/objection/attachment")  # verifiers only, as a download
    assert attached.data == photo and attached.headers["Content-Disposition"].startswith("attachment")
    assert c.get(f"/verifikasi/applications/{a}/objection/attachment").status_code == 302  # not the applicant
    assert verifier.post(f"/verifikasi/applications/{a}/objection", data={"accepted": "1", "answer": "x"}
                         ).status_code == 403
    r = committee.post(f"/verifikasi/applications/{a}/objection", data={"accepted": "1", "answer": ""})
    assert r.status_code == 400 and "Tuliskan jawaban" in r.get_data(as_text=True)
    r = committee.post(f"/verifikasi/applications/{a}/objection",
                       data={"accepted": "1", "answer": "Diperiksa ulang: foto berlatar merah."})
    assert r.status_code == 302
    assert "<strong>MS</strong>" in committee.get(f"/verifikasi/applications/{a}").get_data(as_text=True)
    mine = c.get(f"/daftar/r/{REC}").get_data(as_text=True)
    assert "Diterima: Diperiksa ulang: foto berlatar merah." in mine and "(MS)" in mine

    with db.session_scope(url) as s:
        sealed = s.scalar(select(Objection.sealed))
        assert b"berlatar" not in sealed  # the objection and its answer are sealed like the person
        stored = s.get(StoredFile, s.scalar(select(Objection.attachment_sha256)))
        assert stored.mime == "image/jpeg" and photo not in stored.sealed  # sealed like the uploads
        assert s.get(Application, a).result == "MS"
        actions = [e for e in s.scalars(select(AuditEvent.action).where(AuditEvent.action.in_(
            ["application.objected", "selection.objection_answered", "selection.announced"])))]
        assert sorted(actions) == ["application.objected", "selection.announced", "selection.objection_answered"]
    clock.freeze(until + timedelta(seconds=1))
    try:
        with db.session_scope(url) as s:
            assert announcements.announce_final(s, REC, tmp_path, key, actor="cli:ketua") == 2
            with pytest.raises(AppError):
                announcements.announce_final(s, REC, tmp_path, key, actor="cli:ketua")
    finally:
        clock.reset()
    assert [r["registration_number"] for r in rows(final)] == ["CPNS-2026-000001", "CPNS-2026-000002"]
    assert verify_file(final, key.public_key()).sha256

    with db.session_scope(url) as s:  # retention: 4 documents in 3 files (a photo shared), 1 attachment
        assert retention.purge(s, REC, actor="cli:ketua") == {"documents": 4, "files": 4, "objections": 1,
                                                              "applications": 2}
        assert s.scalar(select(func.count()).select_from(StoredFile)) == 0
        assert s.get(Application, a).result == "MS" and s.scalar(select(func.count()).select_from(Person)) == 2
