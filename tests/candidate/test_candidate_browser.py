"""The candidate page in real headless Chromium: log in on the demo, answer, submit, see the score."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.live import LiveServer, finish_on_page, log_in_on_page, start_on_page

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture
def browser_page(sqlite_server: LiveServer, browser: Any, page_errors: list[str]) -> tuple[Any, LiveServer]:
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    return page, sqlite_server


def test_candidate_logs_in_answers_and_submits(browser_page: tuple[Any, LiveServer]) -> None:
    page, live = browser_page
    SHOTS.mkdir(exist_ok=True)
    cred = live.candidate(0)
    page.goto(live.url + "/")  # Bahasa Indonesia is the default, whatever the browser's language
    assert page.locator("#login-view h1").inner_text() == "Login Peserta"
    page.goto(live.url + "/?lang=en")
    assert page.locator("#login-view h1").inner_text() == "Candidate login"
    page.goto(live.url + "/")  # the choice is remembered
    assert page.locator("#login-view h1").inner_text() == "Candidate login"
    log_in_on_page(page, live.url + "/?lang=id", cred)
    page.wait_for_selector("#start-button:visible")
    start_on_page(page)
    page.wait_for_selector("#q-options .option")
    assert page.locator("#grid .cell").count() == 30
    assert page.locator("#clock").inner_text().startswith("00:")

    page.locator("#q-options .option").nth(1).click()
    # selectors, not wait_for_function: its predicate needs eval, which the page's CSP forbids
    page.wait_for_selector("#grid .cell:first-child.answered", state="attached")
    page.locator("#save-state", has_text=re.compile(".")).wait_for(state="attached")
    page.click("#next-button")
    page.check("#flag-box")
    page.wait_for_selector("#grid .cell:nth-child(2).flagged", state="attached")
    page.screenshot(path=str(SHOTS / "candidate-exam.png"))

    finish_on_page(page)
    page.wait_for_selector("#result-view:visible")
    rows = page.locator("#result-rows tr")
    assert rows.count() == 4  # TWK, TIU, TKP, total
    assert (page.locator("#receipt").text_content() or "").count(".") == 1
    page.screenshot(path=str(SHOTS / "candidate-result.png"))

    # reload: the page resumes from the server, which says the paper is finished
    page.reload()
    page.wait_for_selector("#result-view:visible")
