"""A served item analysis runs in a child process (ground.jobs): the same report, the server's clock, keys and
language; a child killed mid-job is a clear refusal that wrote nothing, and the server serves on."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from ground import db
from ground.models.analysis import ItemStatistic
from scoring.store.analysis import exam_report
from tests.live import LiveServer, wait_until
from tests.proctor.clients import staff_creds
from tests.scoring.analysis.analysis_data import DbExam, build_exam


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LiveServer, DbExam]]:
    """The demo installation with a finished 160-paper exam to analyse, served by a child process."""
    live = LiveServer(tmp_path / "data", None, candidates=2)
    with db.session_scope(live.db_url) as s:
        exam = build_exam(s)
    try:
        yield live.start(), exam
    finally:
        live.stop()


def committee(live: LiveServer) -> tuple[requests.Session, str]:
    username, password = staff_creds(live, "committee")
    browser = requests.Session()
    r = browser.post(live.url + "/api/v1/staff/session", json={"username": username, "password": password},
                     timeout=30)
    assert r.status_code == 200, r.text
    return browser, r.json()["csrf_token"]


def storer(live: LiveServer, exam: DbExam) -> Callable[[], requests.Response]:
    """The committee's "store the statistics" button of the exam's analysis page, signed in once (English)."""
    browser, csrf = committee(live)

    def store() -> requests.Response:
        return browser.post(f"{live.url}/committee/analysis/{exam.code}?lang=en", data={"csrf_token": csrf},
                            allow_redirects=False, timeout=120)

    return store


def statistics(live: LiveServer) -> tuple[int, datetime | None]:
    with db.session_scope(live.db_url) as s:
        return (int(s.scalar(select(func.count()).select_from(ItemStatistic)) or 0),
                s.scalar(select(func.max(ItemStatistic.computed_at))))


def test_the_served_analysis_is_the_same_report_on_the_servers_clock_and_language(
        served: tuple[LiveServer, DbExam]) -> None:
    live, exam = served
    browser, csrf = committee(live)
    got = browser.get(f"{live.url}/committee/analysis/{exam.code}?format=json", timeout=120)
    assert got.status_code == 200, got.text
    here = exam_report(live.db_url, exam.code, write_back=False)
    assert [[it["p"] for it in st["items"]] for st in got.json()["subtests"]] == \
           [[it["p"] for it in st["items"]] for st in here["subtests"]], "the sealed key opened in the child"

    ahead = datetime.fromisoformat(live.advance_clock(3 * 86400)["now"].replace("Z", "+00:00"))
    stored = browser.post(f"{live.url}/committee/analysis/{exam.code}", data={"csrf_token": csrf},
                          allow_redirects=False, timeout=120)
    assert stored.status_code == 303, stored.text
    rows, at = statistics(live)
    assert rows == 14 and at is not None
    assert abs(at.replace(tzinfo=ahead.tzinfo) - ahead) < timedelta(minutes=1), "written on the server's clock"

    for lang, message in (("en", "no exam with code NOPE"), ("id", "tidak ada ujian dengan kode NOPE")):
        missing = browser.get(f"{live.url}/committee/analysis/NOPE?format=json&lang={lang}", timeout=120)
        assert missing.status_code == 404
        assert missing.json()["error"] == {"code": "analysis_unavailable", "message": message}


def test_a_job_whose_process_is_killed_refuses_clearly_writes_nothing_and_the_server_serves_on(
        served: tuple[LiveServer, DbExam]) -> None:
    live, store = served[0], storer(*served)

    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(store)
        wait_until(lambda: live.job_children(), 30, "the analysis never started a job process")
        for pid in live.job_children():
            os.kill(pid, signal.SIGKILL)
        refused = pending.result()
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"] == {"code": "job_stopped", "message": (
        "The job stopped before it finished (its process ended). Nothing it was writing was kept; run it again.")}
    assert statistics(live)[0] == 0, "nothing written"
    assert requests.get(live.url + "/api/v1/health", timeout=10).status_code == 200
    assert store().status_code == 303 and statistics(live)[0] == 14, "run again, it stores"
    assert not live.job_children(), "a finished job leaves no process behind"


def test_beyond_two_jobs_at_once_a_third_is_refused_as_busy_and_the_two_finish(
        served: tuple[LiveServer, DbExam]) -> None:
    """Each job may hold a gigabyte: two run at once per process; a third waits 5 s for a slot, then says so."""
    live, store = served[0], storer(*served)

    with ThreadPoolExecutor(2) as pool:
        running = [pool.submit(store) for _ in range(2)]
        wait_until(lambda: len(live.job_children()) == 2, 30, "two job processes")
        held = live.job_children()
        for pid in held:
            os.kill(pid, signal.SIGSTOP)  # both slots stay taken while the third asks
        try:
            third = store()
        finally:
            for pid in held:
                os.kill(pid, signal.SIGCONT)
        assert [f.result().status_code for f in running] == [303, 303]
    assert third.status_code == 503 and third.headers["Retry-After"] == "60"
    assert third.json()["error"] == {"code": "jobs_busy", "details": {"retry_after": 60}, "message": (
        "Other committee jobs are running on this server. Try again in a minute.")}
    assert store().status_code == 303, "with the slots free again it runs"
