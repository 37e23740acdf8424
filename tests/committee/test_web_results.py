"""The committee results API: staff only; announcement, final and signed export bundles that verify."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from exam_engine.app import create_app
from ground import db
from ground.config import Config
from ground.crypto import load_signing_key
from ground.models import AuditEvent, Result
from ground.models.scoring import FinalResult
from ground.staff.accounts import create_staff
from scoring.signing import verify_file
from tests.scoring.scoring_factory import add_candidate, make_exam

PASSWORD = "correct horse battery"


@pytest.fixture
def app(tmp_path: Path, sqlite_url: str):
    with db.session_scope(sqlite_url) as s:
        mini = make_exam(s)
        add_candidate(s, mini, "A", {"TWK": [0, 0], "TIU": [0, 1], "TKP": [0, 1]})
        add_candidate(s, mini, "B", {"TWK": [0, 2], "TIU": [3, None], "TKP": [0, 0]})
        create_staff(s, "ketua", PASSWORD, "committee")
        create_staff(s, "pengawas", PASSWORD, "proctor")
    return create_app(Config(data_dir=tmp_path / "inst", database_url=sqlite_url), async_mode="threading")


def signed_in(app, username: str):
    client = app.test_client()
    r = client.post("/api/v1/staff/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.json
    client.environ_base["HTTP_X_CSRF_TOKEN"] = r.json["csrf_token"]
    return client


def test_staff_only(app) -> None:
    r = app.test_client().get("/api/v1/committee/exams/SKD-T/announcement")
    assert r.status_code == 401 and r.json["error"]["code"] == "not_signed_in"
    r = signed_in(app, "pengawas").get("/api/v1/committee/exams/SKD-T/announcement")
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"


def test_announcement_and_final(app) -> None:
    c = signed_in(app, "ketua")
    (f,) = c.get("/api/v1/committee/exams/SKD-T/announcement").json["formations"]
    assert [(r["participant_no"], r["rank"], r["code"]) for r in f["ranking"]] == [("A", 1, "P/L"), ("B", None, "TL")]
    (f,) = c.get("/api/v1/committee/exams/SKD-T/final").json["formations"]
    assert f["ranking"] == [{"rank": None, "participant_no": "A", "skd_scaled": None, "skb_scaled": None,
                             "final": None, "selected": False, "code": "TMS"}]  # no SKB score yet
    r = c.get("/api/v1/committee/exams/NOPE/announcement")
    assert r.status_code == 404 and r.json["error"]["code"] == "unknown_exam"


def test_looking_stores_nothing_and_storing_names_the_staff_member(app, sqlite_url: str) -> None:
    """GETs only look; POST /final stores the final results, audited under the signed-in member's name."""
    c = signed_in(app, "ketua")
    with db.session_scope(sqlite_url) as s:
        codes_before = sorted((r.id, r.code) for r in s.scalars(select(Result)))
    for path in ("announcement", "final"):
        assert c.get(f"/api/v1/committee/exams/SKD-T/{path}").status_code == 200
    with db.session_scope(sqlite_url) as s:
        assert sorted((r.id, r.code) for r in s.scalars(select(Result))) == codes_before
        assert s.scalar(select(func.count()).select_from(FinalResult)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "final_computed")) == 0
    stored = c.post("/api/v1/committee/exams/SKD-T/final")
    assert stored.status_code == 200 and stored.json == c.get("/api/v1/committee/exams/SKD-T/final").json
    with db.session_scope(sqlite_url) as s:
        assert s.scalar(select(func.count()).select_from(FinalResult)) == 1
        (row,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "final_computed"))
        assert row.actor == "staff:ketua"
    no_token = app.test_client()
    no_token.post("/api/v1/staff/session", json={"username": "ketua", "password": PASSWORD})
    refused = no_token.post("/api/v1/committee/exams/SKD-T/final")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "csrf_failed"


@pytest.mark.parametrize("fmt", ["pdf", "xlsx"])
def test_export_bundle_verifies(app, tmp_path: Path, fmt: str) -> None:
    c = signed_in(app, "ketua")
    assert c.get(f"/api/v1/committee/exams/SKD-T/export?stage=skd&format={fmt}").status_code == 405  # not a GET
    r = c.post(f"/api/v1/committee/exams/SKD-T/export?stage=skd&format={fmt}")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.data)) as z:
        assert sorted(z.namelist()) == [f"pengumuman-SKD-T-skd.{fmt}", f"pengumuman-SKD-T-skd.{fmt}.sig"]
        z.extractall(tmp_path / "dl")
    public = load_signing_key(tmp_path / "inst").public_key()
    ok = verify_file(tmp_path / "dl" / f"pengumuman-SKD-T-skd.{fmt}", public)
    assert len(ok.sha256) == 64


def test_export_bad_parameters(app) -> None:
    c = signed_in(app, "ketua")
    r = c.post("/api/v1/committee/exams/SKD-T/export", data={"stage": "skb"})
    assert r.status_code == 400 and r.json["error"]["details"]["field"] == "stage"
    r = c.post("/api/v1/committee/exams/SKD-T/export?format=docx")
    assert r.status_code == 400 and r.json["error"]["details"]["field"] == "format"
