"""Login admission: a process too busy to answer a login soon refuses it at once with a Retry-After, translated, and
changes nothing; the page and the test client come back after that wait and get in."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from sqlalchemy import func, select

from candidate.admission import RATE_FLOOR, RATE_WINDOW_S, LoginQueue
from ground import clock, db
from ground.models import AuditEvent, Paper
from tests.conftest import need_redis
from tests.live import AsyncCandidate, LiveServer

BUSY_ID = "Banyak peserta sedang masuk bersamaan."


def papers(live: LiveServer, count: int) -> list[dict[str, Any]]:
    """Candidates 0 .. count-1's paper rows, whole (what a login could change)."""
    with db.session_scope(live.db_url) as s:
        return [{c.name: getattr(p, c.name) for c in Paper.__table__.columns}
                for p in (s.scalar(select(Paper).where(Paper.candidate_id == live.candidate_id(i)))
                          for i in range(count))]


def recorded(live: LiveServer) -> tuple[int, dict[str, Any]]:
    """What a login could change: the audit trail's length and candidate 0's paper row."""
    with db.session_scope(live.db_url) as s:
        audited = s.scalar(select(func.count(AuditEvent.id))) or 0
    return audited, papers(live, 1)[0]


def test_a_queue_admits_while_its_wait_is_short_then_says_when_to_come_back() -> None:
    queue = LoginQueue(wait_limit_s=1.0)
    admitted = 0
    while queue.admit() is None:
        admitted += 1
    assert admitted == int(RATE_FLOOR) + 1, "waits of 0 .. 1 s are taken in, at the assumed floor rate"
    assert queue.admit() == 2, "21 in flight at 20 a second: back in 2 s"
    queue.done()
    assert queue.in_flight == admitted - 1
    assert queue.admit() is None, "one answered: room for one more"


def test_the_rate_measured_lately_lets_more_in_and_ages_out() -> None:
    queue = LoginQueue(wait_limit_s=1.0)
    for _ in range(400):  # 400 answered within the window: 80 a second
        queue.in_flight += 1
        queue.done()
    now = clock.monotonic()
    assert queue.rate(now) == pytest.approx(400 / RATE_WINDOW_S)
    queue.in_flight = 70
    assert queue.admit() is None, "70 waiting at 80 a second is under a second"
    assert queue.rate(now + RATE_WINDOW_S + 1) == RATE_FLOOR, "an old burst no longer counts"


@pytest.fixture
def busy_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server that refuses every login as too busy (its wait limit is below any wait)."""
    live = LiveServer(tmp_path / "data", None, candidates=4, EXAM_LOGIN_WAIT_S="-1")
    try:
        yield live.start()
    finally:
        live.stop()


def test_a_busy_server_refuses_at_once_with_retry_after_and_changes_nothing(busy_server: LiveServer) -> None:
    live = busy_server
    before = recorded(live)
    for pin in ("000000", live.candidate(0)["pin"]) * 6:  # wrong PINs too: refused before they are checked
        r = requests.post(live.url + "/api/v1/candidate/login", json={**live.candidate(0), "pin": pin}, timeout=10)
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "1"
        error = r.json()["error"]
        assert error["code"] == "busy" and error["details"] == {"retry_after": 1}
        assert error["message"] == f"{BUSY_ID} Coba lagi dalam 1 detik."
    r = requests.post(live.url + "/api/v1/candidate/login?lang=en", json=live.candidate(0), timeout=10)
    assert r.json()["error"]["message"] == "Many candidates are signing in at once. Try again in 1 seconds."
    assert recorded(live) == before, "no session was opened or taken over, nothing was audited"
    bad = requests.post(live.url + "/api/v1/candidate/login", json={"pin": "1"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["error"]["details"] == {"field": "participant_no"}, \
        "bad input still gets its own error first"


def test_every_login_leaves_the_queue_and_a_room_at_once_gets_in_by_coming_back(tmp_path: Path) -> None:
    # the limit 0 refuses a login whenever another is in flight: any login that stayed counted would refuse the next
    live = LiveServer(tmp_path / "data", None, candidates=30, EXAM_LOGIN_WAIT_S="0").start()
    try:
        for cred in ({**live.candidate(1), "pin": "000000"}, {**live.candidate(1), "room_token": "NOPE"},
                     live.candidate(1), live.candidate(2)):
            r = requests.post(live.url + "/api/v1/candidate/login", json=cred, timeout=10)
            assert r.status_code in (200, 401), r.text

        async def room() -> list[Any]:
            devices = await asyncio.gather(*(AsyncCandidate.sign_in(live.url, live.candidate(i), timeout=60)
                                             for i in range(30)))
            for device in devices:
                await device.close()
            return devices

        AsyncCandidate.busy_refusals = 0
        assert len(asyncio.run(room())) == 30, "every candidate of the room got in"
        assert AsyncCandidate.busy_refusals > 0, "30 at once, one at a time: the others were told to come back"
    finally:
        live.stop()


@pytest.mark.redis
def test_a_login_that_waited_too_long_for_redis_is_refused_as_busy_not_failed(tmp_path: Path) -> None:
    """An overloaded process's 32 Redis connections all held (Redis's writes paused here): a login that waited
    EXAM_REDIS_WAIT_S for one says busy with a Retry-After and changes nothing (at 10,000 candidates: a 500)."""
    url, room = need_redis(), 40
    live = LiveServer(tmp_path / "data", None, candidates=room, EXAM_REDIS_URL=url, EXAM_REDIS_WAIT_S="1",
                      EXAM_REDIS_CHANNEL=f"test-busy-{tmp_path.name}").start()
    watcher = redis.Redis.from_url(url)
    try:
        before = papers(live, room)

        def login(i: int) -> requests.Response:
            return requests.post(live.url + "/api/v1/candidate/login", json=live.candidate(i), timeout=30)

        watcher.execute_command("CLIENT", "PAUSE", "4000", "WRITE")  # every sign-in count writes: held 4 s
        with ThreadPoolExecutor(room) as pool:
            replies = list(pool.map(login, range(room)))
        assert {r.status_code for r in replies} == {200, 503}, [r.text for r in replies if r.status_code != 200]
        refused = [i for i, r in enumerate(replies) if r.status_code == 503]
        assert len(refused) == room - 32, "32 connections taken, the others waited 1 s for one"
        for i in refused:
            error = replies[i].json()["error"]
            assert replies[i].headers["Retry-After"] == "1"
            assert (error["code"], error["details"]) == ("busy", {"retry_after": 1})
            assert error["message"] == "Server sedang sibuk. Coba lagi dalam 1 detik."
        after = papers(live, room)
        assert [after[i] for i in refused] == [before[i] for i in refused], "a refused login changed nothing"
        assert all(login(i).status_code == 200 for i in refused), "coming back, they get in"
    finally:
        watcher.execute_command("CLIENT", "UNPAUSE")
        live.stop()


@pytest.mark.browser
def test_the_page_says_it_retries_by_itself_and_gets_in(tmp_path: Path, browser: Any, page_errors: list[str]) -> None:
    """The page is served by a busy process (its real 503 and Retry-After); the retry lands on another process of
    the installation, as behind the load balancer; a proxy's own 504 (HTML) is waited out the same way."""
    busy = LiveServer(tmp_path / "data", None, candidates=4, EXAM_LOGIN_WAIT_S="-1").start()
    free = LiveServer(tmp_path / "data", None, seed=False).start()
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        page = context.new_page()
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))
        tries: list[str] = []

        def route(r: Any) -> None:
            tries.append(r.request.url)
            if len(tries) == 1:
                r.continue_()  # the busy process answers for real
            elif len(tries) == 2:
                r.fulfill(status=504, content_type="text/html", body="<html><body>504 Gateway Time-out</body></html>")
            else:
                got = r.fetch(url=free.url + "/api/v1/candidate/login")
                r.fulfill(response=got)

        page.route("**/api/v1/candidate/login", route)
        page.goto(busy.url + "/")
        cred = busy.candidate(0)
        for field in ("participant_no", "pin", "room_token"):
            page.fill(f"#{field}", cred[field])
        page.click("#login-button")
        page.wait_for_selector(f"#login-error:has-text('{BUSY_ID}')")
        said = page.locator("#login-error").inner_text()
        assert said.startswith(f"{BUSY_ID} Halaman ini mencoba lagi sendiri dalam "), said
        shot = Path(os.environ.get("EXAM_TEST_SHOTS", "/tmp/exam-engine-shots"))
        shot.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot / "login-busy-id.png"))
        page.wait_for_selector("#login-error:has-text('Server tidak menjawab tepat waktu.')", timeout=10_000)
        page.wait_for_selector("#login-view", state="hidden", timeout=30_000)
        assert len(tries) == 3
        context.close()
    finally:
        free.stop()
        busy.stop()
