"""Onboarding in the console: records for the selected from the stored final results, then one person's own unit,
mentor, status and committee-defined milestones, each change audited with the member's name."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from ground import db
from ground.crypto import load_signing_key
from ground.models import AuditEvent, Exam
from ground.models.scoring import OnboardingRecord
from ground.tables import Table
from scoring.signing import verify_file
from scoring.store.final import compute_final, import_skb
from tests.committee.console.test_results_pages import (
    exam,  # noqa: F401 - the seeded exam
    sign_in_form,
)
from tests.documents import pdf_words

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def selected(db_url: str, exam: str) -> str:  # noqa: F811
    with db.session_scope(db_url) as s:
        e = s.scalar(select(Exam).where(Exam.code == exam))
        import_skb(s, e, Table(["participant_no", "skb"], [(2, {"participant_no": "A", "skb": "90"}),
                                                          (3, {"participant_no": "E", "skb": "50"})]), "test")
        compute_final(s, e)
    return exam


def test_cohort_then_one_person_moved_through_two_milestones(app: Flask, selected: str, db_url: str) -> None:
    client, _landed, csrf = sign_in_form(app, "ketua")
    page = client.get(f"/committee/results/{selected}/onboarding").get_data(as_text=True)
    assert "No records yet" in page
    no_token = client.post(f"/committee/results/{selected}/onboarding", data={"cohort": "LATSAR-1"})
    assert no_token.status_code in (400, 403)
    r = client.post(f"/committee/results/{selected}/onboarding", data={
        "csrf_token": csrf, "cohort": "LATSAR-1", "cohort_name": "Latsar angkatan 1", "starts": "2027-02-01",
        "ends": "2027-03-31", "mentor": "", "milestones": "Latsar\nOn-the-job training\nProbation review"})
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "onboarding record(s) created" in page and f'/committee/results/{selected}/onboarding/A"' in page
    person = f"/committee/results/{selected}/onboarding/A"
    for data in ({"action": "assign", "unit": "Dinas Pendidikan", "mentor": "Ibu Sari"},
                 {"action": "milestone", "name": "Orientasi unit", "due": "2027-04-15"},
                 {"action": "done", "name": "Latsar", "on": "2027-03-31"},
                 {"action": "done", "name": "On-the-job training", "on": "2027-04-30"},
                 {"action": "status", "status": "in_orientation"}):
        r = client.post(person, data={**data, "csrf_token": csrf})
        assert r.status_code == 302, (data, r.get_data(as_text=True)[:500])
    page = client.get(person).get_data(as_text=True)
    assert "Dinas Pendidikan" in page and "Ibu Sari" in page and "in orientation" in page
    assert "2027-03-31" in page and "2027-04-30" in page and "Orientasi unit" in page
    assert " WIB · staff:ketua · onboarding_assigned" in page
    bad = client.post(person, data={"action": "done", "name": "Nope", "on": "2027-01-01", "csrf_token": csrf})
    assert bad.status_code == 400 and 'id="person-error"' in bad.get_data(as_text=True)
    bad = client.post(person, data={"action": "milestone", "name": "X", "due": "31-12-2027", "csrf_token": csrf})
    assert bad.status_code == 400 and "is not a date" in bad.get_data(as_text=True)
    with db.session_scope(db_url) as s:
        rec = s.scalars(select(OnboardingRecord)).first()
        assert rec is not None
        actors = {e.actor for e in s.scalars(select(AuditEvent).where(AuditEvent.action.like("onboarding%")))}
        assert actors == {"staff:ketua"}
    assert client.get(f"/committee/results/{selected}/onboarding/ZZZ").status_code == 404


def test_cohort_list_exported_signed_in_each_format(app: Flask, selected: str, db_url: str,
                                                    tmp_path: Path) -> None:
    client, _landed, csrf = sign_in_form(app, "ketua")
    client.post(f"/committee/results/{selected}/onboarding", data={
        "csrf_token": csrf, "cohort": "LATSAR-1", "milestones": "Latsar\nProbation review"})
    client.post(f"/committee/results/{selected}/onboarding/A", data={"csrf_token": csrf, "action": "done",
                                                                    "name": "Latsar", "on": "2027-03-31"})
    page = client.get(f"/committee/results/{selected}/onboarding").get_data(as_text=True)
    assert '<option value="LATSAR-1">' in page and 'id="onboarding-export-pdf"' in page
    assert client.post(f"/committee/results/{selected}/onboarding/export",
                       data={"format": "csv"}).status_code in (400, 403)
    public = load_signing_key(app.extensions["exam_engine"].config.data_dir).public_key()
    for fmt in ("csv", "xlsx", "pdf"):
        r = client.post(f"/committee/results/{selected}/onboarding/export",
                        data={"csrf_token": csrf, "format": fmt, "cohort": "LATSAR-1"})
        assert r.status_code == 200 and r.mimetype == "application/zip"
        name = f"onboarding-{selected}-LATSAR-1.{fmt}"
        zipfile.ZipFile(io.BytesIO(r.data)).extractall(tmp_path)
        assert verify_file(tmp_path / name, public).key_id
    text = (tmp_path / f"onboarding-{selected}-LATSAR-1.csv").read_text(encoding="utf-8")
    assert text.startswith("participant_no,name,formation,unit,mentor,cohort,status,milestones")
    assert "Latsar: selesai 2027-03-31" in text and "LATSAR-1" in text
    words = pdf_words((tmp_path / f"onboarding-{selected}-LATSAR-1.pdf").read_bytes())
    assert "Latsar: selesai 2027-03-31" in words and " WIB" in words
    bad = client.post(f"/committee/results/{selected}/onboarding/export", data={"csrf_token": csrf, "format": "doc"})
    assert bad.status_code == 400
    with db.session_scope(db_url) as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.action == "onboarding_exported")).all()
        assert [(e.actor, e.details["format"]) for e in rows] == [("staff:ketua", f) for f in ("csv", "xlsx", "pdf")]
