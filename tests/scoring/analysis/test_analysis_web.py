"""The committee page: the report with inline SVG plots, downloads, the re-run that stores, and the local-only guard."""

from __future__ import annotations

from pathlib import Path

import pytest
from analysis_data import DbExam
from flask.testing import FlaskClient
from sqlalchemy import func, select

from exam_engine import db
from exam_engine.app import create_app
from exam_engine.config import Config
from exam_engine.models.analysis import ItemStatistic


@pytest.fixture
def client(db_url: str, db_exam: DbExam, tmp_path: Path) -> FlaskClient:
    app = create_app(Config(data_dir=tmp_path / "data", database_url=db_url), async_mode="threading")
    return app.test_client()


def _rows(db_url: str) -> int:
    with db.session_scope(db_url) as s:
        return int(s.scalar(select(func.count()).select_from(ItemStatistic)) or 0)


def test_report_page_shows_plots_and_stores_on_post(client: FlaskClient, db_exam: DbExam, db_url: str) -> None:
    res = client.get(f"/committee/analysis/{db_exam.code}")
    assert res.status_code == 200 and res.mimetype == "text/html"
    page = res.get_data(as_text=True)
    assert page.count("<svg") == 19 and "TIU" in page and "TKP" in page and "key_suspect" in page
    assert _rows(db_url) == 0  # viewing does not write
    csv = client.get(f"/committee/analysis/{db_exam.code}?format=csv")
    assert csv.mimetype == "text/csv" and csv.get_data(as_text=True).count("\n") == 15
    js = client.get(f"/committee/analysis/{db_exam.code}?format=json").get_json()
    assert [s["code"] for s in js["subtests"]] == ["TIU", "TKP"]
    res = client.post(f"/committee/analysis/{db_exam.code}")
    assert res.status_code == 303 and res.headers["Location"].endswith(f"/committee/analysis/{db_exam.code}")
    assert _rows(db_url) == 14


def test_errors(client: FlaskClient, db_exam: DbExam, db_url: str) -> None:
    res = client.get("/committee/analysis/NOPE")
    assert res.status_code == 404 and res.get_json()["error"]["code"] == "analysis_unavailable"
    assert client.get(f"/committee/analysis/{db_exam.code}?format=pdf").status_code == 400
    remote = client.get(f"/committee/analysis/{db_exam.code}", environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert remote.status_code == 403
    assert client.post(f"/committee/analysis/{db_exam.code}", environ_base={"REMOTE_ADDR": "10.0.0.7"}
                       ).status_code == 403
    proxied = client.get(f"/committee/analysis/{db_exam.code}", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403  # through nginx every request looks local
    assert _rows(db_url) == 0
