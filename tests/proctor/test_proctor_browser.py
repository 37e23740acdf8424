"""The proctor dashboard in headless Chromium: sign in, see a candidate appear, extend their time, and the candidate's
own page (a second browser context) shows the new countdown; then the summary and the public score board."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.live import LiveServer, finish_on_page, log_in_on_page, start_on_page
from tests.proctor.clients import staff_creds

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture
def room(sqlite_server: LiveServer, browser: Any, page_errors: list[str]) -> tuple[Any, LiveServer, list[str]]:
    return browser, sqlite_server, page_errors


def _seconds(text: str) -> int:
    h, m, s = (int(x) for x in text.split()[0].split(":"))
    return h * 3600 + m * 60 + s


def test_proctor_sees_a_candidate_and_extends_their_time(room: tuple[Any, LiveServer, list[str]]) -> None:
    b, live, errors = room
    SHOTS.mkdir(exist_ok=True)
    proctor = b.new_context(viewport={"width": 1400, "height": 900}).new_page()
    proctor.on("pageerror", lambda exc: errors.append(str(exc)))
    proctor.goto(live.url + "/proctor/?lang=en")
    assert "/staff/login" in proctor.url, "the dashboard needs a signed-in staff member"
    username, password = staff_creds(live, "proctor")
    proctor.fill("#username", username)
    proctor.fill("#password", "wrong password")
    proctor.click("#sign-in")
    assert "Wrong username or password" in proctor.locator("#sign-in-error").inner_text()
    proctor.fill("#password", password)
    proctor.click("#sign-in")
    proctor.wait_for_selector(".cell")
    assert proctor.locator(".cell").count() == 20
    cred = live.candidate(0)
    cell = proctor.locator('.cell[data-cid="1"]')
    assert "Not signed in" in cell.inner_text()

    candidate = b.new_context(viewport={"width": 1280, "height": 860}).new_page()
    candidate.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in_on_page(candidate, live.url + "/?lang=en", cred)
    candidate.wait_for_selector("#start-button:visible")
    proctor.wait_for_selector('.cell[data-cid="1"].s-waiting', state="attached")
    start_on_page(candidate)
    candidate.wait_for_selector("#q-options .option")
    candidate.locator("#q-options .option").nth(0).click()
    proctor.locator('.cell[data-cid="1"].s-working', has_text="1/30").wait_for(state="attached")
    before = _seconds(candidate.locator("#clock").inner_text())
    assert 29 * 60 < before <= 30 * 60

    cell.click()
    proctor.click('.cand-actions [data-act="extend"]')
    proctor.fill("#minutes", "10")
    proctor.click("#action-confirm")
    assert "Give a reason" in proctor.locator("#action-error").inner_text(), "no reason, no action"
    proctor.fill("#reason", "Komputer mati 10 menit")
    proctor.click("#action-confirm")
    deadline = time.monotonic() + 30
    while (after := _seconds(candidate.locator("#clock").inner_text())) <= before + 500:  # polled until it shows
        assert time.monotonic() < deadline, "the candidate's clock never showed the extension"
        time.sleep(0.05)
    assert before + 590 <= after <= before + 600, (before, after)
    assert "changed your time" in candidate.locator("#banner").inner_text()
    proctor.wait_for_selector("#feed li:has-text('proctor.extend')")
    assert "Komputer mati 10 menit" in proctor.locator("#feed").inner_text()
    proctor.screenshot(path=str(SHOTS / "proctor-dashboard.png"))
    candidate.screenshot(path=str(SHOTS / "proctor-candidate-extended.png"))

    # the room summary and the public score board
    proctor.goto(live.url + "/proctor/rooms/1/summary?lang=en")
    assert "proctor.extend" in proctor.locator("#summary-incidents").inner_text()
    board = b.new_context().new_page()
    board.on("pageerror", lambda exc: errors.append(str(exc)))
    board.goto(live.url + "/board/DEMO-R1?lang=en")
    assert board.locator("#board-rows tr").count() == 0
    finish_on_page(candidate)
    candidate.wait_for_selector("#result-view:visible")
    board.wait_for_selector(f"#board-rows tr:has-text('{cred['participant_no']}')")
    assert "Peserta Demo 1" in board.locator("#board-rows").inner_text()
    board.screenshot(path=str(SHOTS / "proctor-score-board.png"))
