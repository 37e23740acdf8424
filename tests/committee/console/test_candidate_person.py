"""One candidate in the console: a photo (JPEG/PNG only, size-capped, decoded to be sure, sealed at rest, on the
attendance list) and accommodations, each change audited with its actor."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select

from ground import db
from ground.models import AuditEvent, Candidate
from ground.models.registration import StoredFile
from proctor.people import PHOTO_MAX_BYTES
from tests.committee.console.conftest import sign_in_form
from tests.committee.console.files import roster_csv
from tests.committee.console.test_console_pages import hidden, upload
from tests.committee.console.test_session_pages import exam_with_two_sessions

pytestmark = pytest.mark.usefixtures("english")
PERSON = "/committee/candidates/person/SKD-2026/2026000000"


def image(kind: str, size: tuple[int, int] = (60, 80)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, kind)
    return buf.getvalue()


def test_photo_and_accommodations(app: Flask, db_url: str, tmp_path: Path) -> None:
    client, _landed, csrf = sign_in_form(app, "ketua")
    exam_with_two_sessions(client, csrf, tmp_path)
    rows = [("2026000000", "Peserta 0", "R1", "1")]
    page, _status = upload(client, "/committee/candidates/preview", roster_csv(tmp_path / "ok.csv", rows), csrf,
                           exam="SKD-2026")
    client.post("/committee/candidates/commit", data={"csrf_token": csrf, "upload_id": hidden(page, "upload_id")})
    assert 'id="no-photo"' in client.get(PERSON).get_data(as_text=True)

    def send(data: bytes, name: str = "foto.jpg") -> tuple[int, str]:
        r = client.post(PERSON + "/photo", content_type="multipart/form-data",
                        data={"csrf_token": csrf, "photo": (io.BytesIO(data), name)})
        return r.status_code, r.get_data(as_text=True)

    for data, status in ((b"%PDF-1.4 not a photo", 415), (b"\xff\xd8\xff" + b"\0" * 500, 415),
                         (image("JPEG")[:200], 415), (b"\xff\xd8\xff" + b"\0" * PHOTO_MAX_BYTES, 413), (b"", 400)):
        got, body = send(data)
        assert got == status and 'id="photo-error"' in body, (data[:10], got)
    with db.session_scope(db_url) as s:
        assert s.scalar(select(Candidate.photo_sha256)) is None and s.scalar(select(StoredFile.sha256)) is None

    png = image("PNG")
    assert send(png, "foto.png")[0] == 302
    shown = client.get(PERSON + "/photo")
    assert shown.data == png and shown.mimetype == "image/png" and "no-store" in shown.headers["Cache-Control"]
    with db.session_scope(db_url) as s:
        stored = s.scalars(select(StoredFile)).one()
        assert png[16:40] not in stored.sealed  # sealed at rest, not the image's bytes
        assert s.scalar(select(AuditEvent.actor).where(AuditEvent.action == "candidate.photo_set")) == "staff:ketua"
    assert 'id="person-photo"' in client.get(PERSON).get_data(as_text=True)
    attendance = client.get("/committee/candidates/attendance/R1-S1")
    assert attendance.status_code == 200 and b"/Subtype /Image" in attendance.data  # the photo on the daftar hadir
    listing = client.get("/committee/candidates/").get_data(as_text=True)
    cards = client.get(re.search(r'href="(/committee/candidates/cards/[^"]+)"', listing).group(1)  # type: ignore[union-attr]
                       .replace("&amp;", "&"))
    assert cards.status_code == 200 and b"/Subtype /Image" in cards.data  # and on the login card

    # accommodations: 15 minutes more and larger text, audited with before and after; bad values change nothing
    for bad in ("x", "999"):
        r = client.post(PERSON + "/accommodations", data={"csrf_token": csrf, "extra_min": bad, "large_text": "1"})
        assert r.status_code == 400 and 'id="acc-error"' in r.get_data(as_text=True)
    r = client.post(PERSON + "/accommodations", data={"csrf_token": csrf, "extra_min": "15", "large_text": "1"})
    assert r.status_code == 302
    with db.session_scope(db_url) as s:
        c = s.scalars(select(Candidate)).one()
        assert (c.extra_time_s, c.large_text, c.high_contrast) == (900, True, False)
        row = s.scalars(select(AuditEvent).where(AuditEvent.action == "candidate.accommodations_set")).one()
        assert row.actor == "staff:ketua" and row.details["after"]["extra_time_s"] == 900
    listing = client.get("/committee/candidates/?exam=SKD-2026").get_data(as_text=True)
    assert "+15 min" in listing and "Larger text" in listing
    assert client.get("/committee/candidates/person/SKD-2026/NOPE").status_code == 404
