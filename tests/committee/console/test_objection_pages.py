"""Objections (sanggah) after the exam: the committee's window in the site's zone, a candidate's objection with the
card's number and PIN (a wrong PIN, a closed window, a disguised attachment refused and nothing stored), the
committee's answer (audited, leading to the annulment preview), the attachment for the committee only, and the signed
post-objection announcement refused until the window closed and every objection is answered."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from ground import clock, db
from ground.keyring import pin_pepper_for
from ground.models import AuditEvent, Candidate
from ground.models.objections import ExamObjection
from ground.models.registration import StoredFile
from ground.passwords import hash_pin
from tests.committee.console.conftest import csrf_of
from tests.committee.console.test_results_pages import (
    exam,  # noqa: F401 - the seeded exam
    sign_in_form,
)

pytestmark = pytest.mark.usefixtures("english")
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NOW = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)  # 10:00 WIB


@pytest.fixture
def pins(db_url: str, exam: str) -> str:  # noqa: F811
    with db.session_scope(db_url) as s:
        s.execute(update(Candidate).values(pin_hash=hash_pin("123456", pin_pepper_for(s))))
    return exam


def _file(client, csrf: str, no: str, pin: str, reason: str, attachment: bytes | None = None, code: str = "SKD-T"):
    data = {"csrf_token": csrf, "exam": code, "participant_no": no, "pin": pin, "reason": reason}
    if attachment is not None:
        data["attachment"] = (io.BytesIO(attachment), "bukti.pdf")
    return client.post("/sanggah", data=data, content_type="multipart/form-data")


def test_window_objection_answer_and_pasca_sanggah(app: Flask, pins: str, db_url: str) -> None:
    clock.freeze(NOW)
    committee, _landed, csrf = sign_in_form(app, "ketua")
    page = committee.get(f"/committee/results/{pins}/objections").get_data(as_text=True)
    assert "Not set: candidates cannot object yet." in page and "Opens (WIB)" in page

    candidate = app.test_client()
    ccsrf = csrf_of(candidate.get("/sanggah").get_data(as_text=True))
    closed = _file(candidate, ccsrf, "A", "123456", "Soal TIU nomor 2 punya dua jawaban benar.")
    assert closed.status_code == 409 and "Objections to SKD-T are not open." in closed.get_data(as_text=True)

    assert committee.post(f"/committee/results/{pins}/objections/window",
                          data={"opens": "2026-12-10T08:00", "closes": "2026-12-12T16:00"}).status_code in (400, 403)
    bad = committee.post(f"/committee/results/{pins}/objections/window",
                         data={"csrf_token": csrf, "opens": "2026-12-12T08:00", "closes": "2026-12-10T16:00"})
    assert bad.status_code == 400 and "must end after it starts" in bad.get_data(as_text=True)
    r = committee.post(f"/committee/results/{pins}/objections/window",
                       data={"csrf_token": csrf, "opens": "2026-12-10T08:00", "closes": "2026-12-12T16:00"})
    assert r.status_code == 302
    page = committee.get(r.headers["Location"]).get_data(as_text=True)
    assert "2026-12-10 08:00 WIB – 2026-12-12 16:00 WIB" in page and "open now" in page
    public = candidate.get("/sanggah").get_data(as_text=True)
    assert "2026-12-10 08:00 WIB – 2026-12-12 16:00 WIB" in public and 'value="SKD-T"' in public

    reason = "Soal TIU nomor 2 punya dua jawaban benar."
    assert _file(candidate, "", "A", "123456", reason).status_code in (400, 403)  # no CSRF token
    wrong = _file(candidate, ccsrf, "A", "654321", reason)
    assert wrong.status_code == 401 and "Wrong participant number or PIN." in wrong.get_data(as_text=True)
    disguised = _file(candidate, ccsrf, "A", "123456", reason, b"<html>not a pdf</html>")
    assert disguised.status_code == 415 and "must be a PDF / JPEG file" in disguised.get_data(as_text=True)
    short = _file(candidate, ccsrf, "A", "123456", "salah")
    assert short.status_code == 400 and "10 to 2000 characters" in short.get_data(as_text=True)
    with db.session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(ExamObjection)) == 0
        assert s.scalar(select(func.count()).select_from(StoredFile)) == 0
    ok = _file(candidate, ccsrf, "A", "123456", reason, PDF)
    text = ok.get_data(as_text=True)
    assert ok.status_code == 200 and 'id="filed"' in text and "10:00 WIB" in text
    again = _file(candidate, ccsrf, "A", "123456", "Satu lagi keberatan saya.")
    assert again.status_code == 409 and "You objected already" in again.get_data(as_text=True)
    with db.session_scope(db_url) as s:
        row = s.scalars(select(ExamObjection)).one()
        assert reason.encode() not in row.sealed and PDF not in s.get(StoredFile, row.attachment_sha256).sealed
        oid = row.id

    page = committee.get(f"/committee/results/{pins}/objections").get_data(as_text=True)
    assert reason in page and f'id="attachment-{oid}"' in page
    got = committee.get(f"/committee/results/{pins}/objections/{oid}/attachment")
    assert got.data == PDF and got.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in got.headers["Content-Security-Policy"]
    stranger = app.test_client().get(f"/committee/results/{pins}/objections/{oid}/attachment")
    assert stranger.status_code in (302, 401, 403) and stranger.data != PDF

    early = committee.post(f"/committee/results/{pins}/objections/announcement", data={"csrf_token": csrf,
                                                                                     "format": "csv"})
    assert early.status_code == 409 and "open until 2026-12-12 16:00 WIB" in early.get_data(as_text=True)
    r = committee.post(f"/committee/results/{pins}/objections/{oid}",
                       data={"csrf_token": csrf, "decision": "accept", "answer": "Soal TIU 2 dianulir."})
    assert r.status_code == 302
    page = committee.get(r.headers["Location"]).get_data(as_text=True)
    link = re.search(rf'href="([^"]+)" id="annul-for-{oid}"', page)
    assert link and "/committee/results/SKD-T/annul?reason=" in link.group(1)
    annul = committee.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "Objection of A: Soal TIU 2 dianulir.</textarea>" in annul
    twice = committee.post(f"/committee/results/{pins}/objections/{oid}",
                           data={"csrf_token": csrf, "decision": "reject", "answer": "Tidak."})
    assert twice.status_code == 409
    status = candidate.post("/sanggah/status", data={"csrf_token": ccsrf, "exam": "SKD-T", "participant_no": "A",
                                                     "pin": "123456"}).get_data(as_text=True)
    assert "Soal TIU 2 dianulir." in status and 'id="mine-decision">accepted' in status

    clock.freeze(NOW + timedelta(days=3))
    late = _file(candidate, ccsrf, "E", "123456", reason)
    assert late.status_code == 409 and "from 2026-12-10 08:00 WIB to 2026-12-12 16:00 WIB" in late.get_data(
        as_text=True)
    r = committee.post(f"/committee/results/{pins}/objections/announcement", data={"csrf_token": csrf,
                                                                                 "format": "csv"})
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(r.data)).namelist() == ["pengumuman-SKD-T-pasca-sanggah.csv",
                                                              "pengumuman-SKD-T-pasca-sanggah.csv.sig"]
    with db.session_scope(db_url) as s:
        rows = {(e.action, e.actor) for e in s.scalars(select(AuditEvent).where(AuditEvent.action.in_(
            ("objection_window_set", "objection_filed", "objection_answered", "announcement_signed"))))}
        assert rows == {("objection_window_set", "staff:ketua"), ("objection_filed", "candidate:A"),
                        ("objection_answered", "staff:ketua"), ("announcement_signed", "staff:ketua")}


def test_wrong_pins_lock_the_participant_out_of_objecting_only(app: Flask, pins: str, db_url: str) -> None:
    clock.freeze(NOW)
    committee, _landed, csrf = sign_in_form(app, "ketua")
    committee.post(f"/committee/results/{pins}/objections/window",
                   data={"csrf_token": csrf, "opens": "2026-12-10T08:00", "closes": "2026-12-12T16:00"})
    candidate = app.test_client()
    ccsrf = csrf_of(candidate.get("/sanggah").get_data(as_text=True))
    codes = [_file(candidate, ccsrf, "E", f"00000{n % 10}", "Nilai TKP saya seharusnya lebih tinggi.").status_code
             for n in range(11)]
    assert codes == [401] * 10 + [429]
    right = _file(candidate, ccsrf, "E", "123456", "Nilai TKP saya seharusnya lebih tinggi.")
    assert right.status_code == 429 and "Too many failed attempts" in right.get_data(as_text=True)
    with db.session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(ExamObjection)) == 0
