"""No signed announcement through the API while a paper is open: 409 with the open papers, translated."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from exam_engine.app import create_app
from ground import db
from ground.config import Config
from ground.models import Paper
from ground.staff.accounts import create_staff
from tests.committee.test_web_results import PASSWORD, signed_in
from tests.scoring.scoring_factory import add_candidate, make_exam


@pytest.fixture
def app(tmp_path: Path, sqlite_url: str):
    with db.session_scope(sqlite_url) as s:
        mini = make_exam(s)
        add_candidate(s, mini, "A", {"TWK": [0, 0], "TIU": [0, 1], "TKP": [0, 1]})
        b = add_candidate(s, mini, "B", {"TWK": [0, 2], "TIU": [3, None], "TKP": [0, 0]})
        s.scalar(select(Paper).where(Paper.candidate_id == b.id)).state = "paused"
        create_staff(s, "ketua", PASSWORD, "committee")
    return create_app(Config(data_dir=tmp_path / "inst", database_url=sqlite_url), async_mode="threading")


def test_export_refused_with_the_open_papers(app) -> None:
    c = signed_in(app, "ketua")
    r = c.post("/api/v1/committee/exams/SKD-T/export", data={"stage": "skd", "format": "pdf"})
    assert r.status_code == 409 and r.json["error"]["code"] == "papers_open"
    assert r.json["error"]["details"]["papers"] == [
        {"participant_no": "B", "name": "Peserta B", "room": "-", "state": "paused"}]
    assert "belum selesai" in r.json["error"]["message"] and "B (-, dijeda)" in r.json["error"]["message"]
    assert c.get("/api/v1/committee/exams/SKD-T/announcement").status_code == 200  # looking stays possible
