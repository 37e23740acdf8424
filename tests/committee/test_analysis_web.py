"""The committee page: staff only; the report with inline SVG plots, downloads, and the CSRF-checked re-run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from exam_engine.app import create_app
from ground import clock, db
from ground.config import Config
from ground.models import Paper
from ground.models.analysis import ItemStatistic
from ground.staff.accounts import create_staff
from tests.scoring.analysis.analysis_data import DbExam

PASSWORD = "correct horse battery"

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def app(db_url: str, db_exam: DbExam, tmp_path: Path) -> Flask:
    with db.session_scope(db_url) as s:
        create_staff(s, "ketua", PASSWORD, "committee")
        create_staff(s, "pengawas", PASSWORD, "proctor")
    return create_app(Config(data_dir=tmp_path / "data", database_url=db_url), async_mode="threading")


def signed_in(app: Flask, username: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    r = client.post("/api/v1/staff/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.json
    return client, r.json["csrf_token"]


def _rows(db_url: str) -> int:
    with db.session_scope(db_url) as s:
        return int(s.scalar(select(func.count()).select_from(ItemStatistic)) or 0)


def test_report_page_shows_plots_and_stores_on_post(app: Flask, db_exam: DbExam, db_url: str) -> None:
    client, csrf = signed_in(app, "ketua")
    res = client.get(f"/committee/analysis/{db_exam.code}")
    assert res.status_code == 200 and res.mimetype == "text/html"
    page = res.get_data(as_text=True)
    assert page.count("<svg") == 19 and "TIU" in page and "TKP" in page and "key_suspect" in page
    assert f'name="csrf_token" value="{csrf}"' in page
    # inside the console's layout: its navigation (this page's entry current), the report below the heading
    assert 'id="nav-analysis" aria-current="page"' in page and 'id="nav-results"' in page
    assert page.index("<h1>Item analysis") < page.index('id="analysis-report"') and page.count("<html") == 1
    assert _rows(db_url) == 0  # viewing does not write
    csv = client.get(f"/committee/analysis/{db_exam.code}?format=csv")
    assert csv.mimetype == "text/csv" and csv.get_data(as_text=True).count("\n") == 15
    js = client.get(f"/committee/analysis/{db_exam.code}?format=json").get_json()
    assert [s["code"] for s in js["subtests"]] == ["TIU", "TKP"]
    res = client.post(f"/committee/analysis/{db_exam.code}", data={"csrf_token": csrf})
    assert res.status_code == 303 and res.headers["Location"].endswith(f"/committee/analysis/{db_exam.code}")
    assert _rows(db_url) == 14


def test_staff_only_and_errors(app: Flask, db_exam: DbExam, db_url: str) -> None:
    anon = app.test_client().get(f"/committee/analysis/{db_exam.code}")
    assert anon.status_code == 302 and "/staff/login" in anon.headers["Location"]
    proctor, csrf_p = signed_in(app, "pengawas")
    assert proctor.get(f"/committee/analysis/{db_exam.code}").status_code == 403
    assert proctor.post(f"/committee/analysis/{db_exam.code}", data={"csrf_token": csrf_p}).status_code == 403
    client, _csrf = signed_in(app, "ketua")
    res = client.get("/committee/analysis/NOPE")
    assert res.status_code == 404 and res.get_json()["error"]["code"] == "analysis_unavailable"
    assert client.get(f"/committee/analysis/{db_exam.code}?format=pdf").status_code == 400
    forged = client.post(f"/committee/analysis/{db_exam.code}", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert _rows(db_url) == 0


def test_the_page_and_downloads_open_the_kept_report_until_a_paper_finishes(app: Flask, db_exam: DbExam,
                                                                             db_url: str) -> None:
    client, csrf = signed_in(app, "ketua")
    computed_at = clock.freeze()
    first = client.get(f"/committee/analysis/{db_exam.code}?format=json").get_json()
    assert first["generated_at"] == computed_at.isoformat()
    clock.advance(timedelta(hours=3))
    page = client.get(f"/committee/analysis/{db_exam.code}").get_data(as_text=True)
    assert 'id="analysis-kept"' in page and "opens again without recomputing until another paper finishes" in page
    assert client.get(f"/committee/analysis/{db_exam.code}?format=json").get_json() == first  # kept, not recomputed
    with db.session_scope(db_url) as s:
        s.execute(update(Paper).where(Paper.exam_id == db_exam.exam_id, Paper.state == "issued")
                  .values(state="finished", finished_at=clock.now()))
    later = client.get(f"/committee/analysis/{db_exam.code}?format=json").get_json()
    assert later["generated_at"] == clock.now().isoformat() and later["total"]["n"] == first["total"]["n"] + 5
    clock.advance(timedelta(minutes=1))
    assert client.post(f"/committee/analysis/{db_exam.code}", data={"csrf_token": csrf}).status_code == 303
    assert client.get(f"/committee/analysis/{db_exam.code}?format=json").get_json()["generated_at"] == \
        clock.now().isoformat()  # storing the statistics computed it again


def test_the_list_says_which_reports_open_at_once(app: Flask, db_exam: DbExam, db_url: str) -> None:
    client, _csrf = signed_in(app, "ketua")

    def said() -> str:
        page = client.get("/committee/analysis/").get_data(as_text=True)
        row = page.split(f">{db_exam.code}</a>", 1)[1].split("</tr>", 1)[0]
        return row.rsplit("<td>", 1)[1]

    assert said().startswith("not computed yet: computed when opened")
    clock.freeze(datetime(2026, 12, 3, 2, 5, tzinfo=UTC))
    assert client.get(f"/committee/analysis/{db_exam.code}").status_code == 200
    assert said().startswith("kept, computed 2026-12-03 09:05 WIB: opens at once")  # the site's zone, labelled
    with db.session_scope(db_url) as s:
        s.execute(update(Paper).where(Paper.exam_id == db_exam.exam_id, Paper.state == "issued")
                  .values(state="finished", finished_at=clock.now()))
    assert said().startswith("papers finished after 2026-12-03 09:05 WIB: computed again when opened")
