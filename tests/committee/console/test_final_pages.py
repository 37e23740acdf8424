"""SKB scores and GPA through the console: the sheet checked first (bad cells by row and column, nothing stored),
then imported, the final selection stored and its signed announcement downloaded, each audited by name."""

from __future__ import annotations

import io
import zipfile

import pytest
from flask import Flask
from sqlalchemy import select

from ground import db
from ground.models import AuditEvent, Candidate
from ground.models.scoring import FinalResult, SkbScore
from tests.committee.console.test_results_pages import (
    exam,  # noqa: F401 - the seeded exam
    sign_in_form,
)

pytestmark = pytest.mark.usefixtures("english")


def _post_sheet(client, code: str, csrf: str, text: str):
    return client.post(f"/committee/results/{code}/final/preview", data={
        "csrf_token": csrf, "file": (io.BytesIO(text.encode()), "skb.csv")}, content_type="multipart/form-data")


def test_skb_sheet_previewed_fixed_imported_then_final_stored_and_signed(app: Flask, exam: str,  # noqa: F811
                                                                       db_url: str) -> None:
    client, _landed, csrf = sign_in_form(app, "ketua")
    page = client.get(f"/committee/results/{exam}/final").get_data(as_text=True)
    assert "0 SKB score(s) stored." in page and 'id="skb-form"' in page
    bad = _post_sheet(client, exam, csrf, "participant_no,skb,ipk\nA,120,3.5\nZ,80,\nE,70,5\n")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and 'id="skb-problems"' in text
    assert "row 2, column skb</span>: 120 is above the maximum 100" in text
    assert "Z is not a candidate of SKD-T" in text and "GPA &#39;5&#39; is not a number from 0 to 4" in text
    with db.session_scope(db_url) as s:
        assert s.scalars(select(SkbScore)).all() == []
    good = _post_sheet(client, exam, csrf, "participant_no,skb,ipk\nA,80,3.5\nE,70,3.9\n")
    text = good.get_data(as_text=True)
    assert good.status_code == 200 and "2 row(s) ready to import" in text
    with db.session_scope(db_url) as s:
        assert s.scalars(select(SkbScore)).all() == []  # the check stores nothing
    upload_id = text.split('name="upload_id" value="')[1].split('"')[0]
    assert client.post(f"/committee/results/{exam}/final/commit",
                       data={"upload_id": upload_id}).status_code in (400, 403)
    r = client.post(f"/committee/results/{exam}/final/commit", data={"upload_id": upload_id, "csrf_token": csrf})
    assert r.status_code == 302
    assert "2 SKB score(s) imported." in client.get(r.headers["Location"]).get_data(as_text=True)
    with db.session_scope(db_url) as s:
        assert len(s.scalars(select(SkbScore)).all()) == 2
        assert s.scalar(select(Candidate.gpa).where(Candidate.participant_no == "E")) == 3.9
        (row,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "skb_imported"))
        assert row.actor == "staff:ketua"
    page = client.get(f"/committee/results/{exam}/final").get_data(as_text=True)
    assert "P/L" in page and "80.727" not in page  # computed from these SKD totals, not the docs' example
    r = client.post(f"/committee/results/{exam}/final/store", data={"csrf_token": csrf})
    assert r.status_code == 302
    r = client.post(f"/committee/results/{exam}/final/announcement", data={"format": "csv", "csrf_token": csrf})
    assert r.status_code == 200 and r.mimetype == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(r.data)).namelist() == [f"pengumuman-{exam}-final.csv",
                                                              f"pengumuman-{exam}-final.csv.sig"]
    with db.session_scope(db_url) as s:
        assert s.scalars(select(FinalResult)).all()
        actors = {(e.action, e.actor) for e in s.scalars(select(AuditEvent).where(
            AuditEvent.action.in_(("final_computed", "announcement_signed"))))}
        assert actors == {("final_computed", "staff:ketua"), ("announcement_signed", "staff:ketua")}


def test_skb_errors_in_indonesian(app: Flask, exam: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.delenv("EXAM_LOCALE", raising=False)
    client, _landed, csrf = sign_in_form(app, "ketua")
    text = _post_sheet(client, exam, csrf, "participant_no,skb\nA,abc\n").get_data(as_text=True)
    assert "bukan angka" in text and "tidak ada yang diubah" in text


def test_final_page_says_why_each_equal_final_score_was_ordered(app: Flask, exam: str) -> None:  # noqa: F811
    client, _landed, csrf = sign_in_form(app, "ketua")
    r = _post_sheet(client, exam, csrf, "participant_no,skb\nA,80\nE,80\n")
    upload_id = r.get_data(as_text=True).split('name="upload_id" value="')[1].split('"')[0]
    client.post(f"/committee/results/{exam}/final/commit", data={"upload_id": upload_id, "csrf_token": csrf})
    page = client.get(f"/committee/results/{exam}/final").get_data(as_text=True)
    assert "first of these that differs: SKD total, TKP, TIU, TWK, GPA, age (the older first)" in page
    rows = page[page.index('class="list final-table"'):]
    assert rows.index("<td>E</td>") < rows.index("<td>A</td>")  # equal SKD total and TKP: E's TIU 10 beats A's 5
    assert "equal final score; TIU 10 above, 5 here" in rows
