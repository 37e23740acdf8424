"""Every sign-in that waited too long for the shared failure counts says busy (503, Retry-After), not a 500."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import func, select

from ground import db
from ground.models.staff import StaffSession
from ground.runtime import REDIS_CONNECTIONS
from tests.conftest import need_redis
from tests.live import LiveServer, wait_until
from tests.proctor.clients import staff_creds

BUSY_ID = "Server sedang sibuk. Coba lagi dalam 1 detik."
POOL = REDIS_CONNECTIONS


def sessions(live: LiveServer) -> int:
    with db.session_scope(live.db_url) as s:
        return int(s.scalar(select(func.count()).select_from(StaffSession)) or 0)


@pytest.mark.redis
def test_a_staff_sign_in_that_waited_too_long_for_redis_is_refused_as_busy_on_the_api_and_the_form(
        tmp_path: Path) -> None:
    """Redis's writes paused: 32 sign-ins hold the process's connections; the API sign-ins and the sign-in form
    beyond them wait EXAM_REDIS_WAIT_S (1 s), then say busy (JSON for the API, the page with the message for the form),
    start no session, and get in once Redis answers again."""
    url = need_redis()
    live = LiveServer(tmp_path / "data", None, candidates=2, EXAM_REDIS_URL=url, EXAM_REDIS_WAIT_S="1",
                      EXAM_REDIS_CHANNEL=f"test-staff-busy-{tmp_path.name}").start()
    watcher = redis.Redis.from_url(url)
    username, password = staff_creds(live, "committee")
    forms = []
    for _ in range(3):  # each its own browser: a session cookie and the form's CSRF token
        browser = requests.Session()
        page = browser.get(live.url + "/staff/login?lang=id", timeout=30)
        forms.append((browser, re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)))  # type: ignore[union-attr]

    def api(_i: int) -> requests.Response:
        return requests.post(live.url + "/api/v1/staff/session?lang=id",
                             json={"username": username, "password": password}, timeout=30)

    def form(i: int) -> requests.Response:
        browser, token = forms[i]
        return browser.post(live.url + "/staff/login?lang=id", allow_redirects=False, timeout=30,
                            data={"username": username, "password": password, "csrf_token": token})

    def connected() -> int:
        return int(watcher.info("clients")["connected_clients"])

    try:
        before, idle = sessions(live), connected()
        watcher.execute_command("CLIENT", "PAUSE", "4000", "WRITE")  # sign-in counts write: held 4 s (reads wait 5)
        with ThreadPoolExecutor(POOL + 8 + len(forms)) as pool:
            held = [pool.submit(api, i) for i in range(POOL + 8)]
            wait_until(lambda: connected() >= idle + POOL, message="the process's 32 connections are all taken")
            on_form = [pool.submit(form, i) for i in range(len(forms))]
            replies = [f.result() for f in held]
            pages = [f.result() for f in on_form]
        assert sorted(r.status_code for r in replies) == [200] * POOL + [503] * 8, [r.text for r in replies]
        for r in replies:
            if r.status_code == 503:
                error = r.json()["error"]
                assert r.headers["Retry-After"] == "1"
                assert (error["code"], error["details"], error["message"]) == ("busy", {"retry_after": 1}, BUSY_ID)
        assert [p.status_code for p in pages] == [503] * len(forms), [p.text[:300] for p in pages]
        assert all(BUSY_ID in p.text and p.headers["Content-Type"].startswith("text/html") for p in pages)
        assert sessions(live) == before + POOL, "a refused sign-in started no session"
        assert api(0).status_code == 200, "coming back, it gets in"
        assert form(0).status_code == 302
    finally:
        watcher.execute_command("CLIENT", "UNPAUSE")
        live.stop()
