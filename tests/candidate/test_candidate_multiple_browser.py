"""In headless Chromium: a multiple-response question answered with checkboxes, kept across a reload and scored
within its bounds; a candidate's accommodations (larger text, high contrast, extra time) applied to their page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from ground import db
from ground.models import Candidate as CandidateRow
from tests.candidate.test_multiple_response import BOUNDED, import_multiple
from tests.live import LiveServer, finish_on_page, log_in_on_page, start_on_page

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture
def page_on(sqlite_server: LiveServer, browser: Any, page_errors: list[str]) -> tuple[Any, LiveServer]:
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    return page, sqlite_server


def _go_to(page: Any, text: str) -> None:
    """Click through the grid until the question whose stem contains ``text`` is shown."""
    for i in range(page.locator("#grid .cell").count()):
        page.locator("#grid .cell").nth(i).click()
        if text in (page.locator("#q-text").text_content() or ""):
            return
    raise AssertionError(f"no question shows {text!r}")


def _texts(page: Any) -> dict[str, str]:
    return page.evaluate("() => JSON.parse(document.getElementById('i18n').textContent)")


def test_two_boxes_ticked_survive_a_reload_and_score_within_the_bounds(page_on: tuple[Any, LiveServer]) -> None:
    page, live = page_on
    SHOTS.mkdir(exist_ok=True)
    import_multiple(live, "MR-PAGE", BOUNDED, 'lowerBound="0" upperBound="5"')
    live.show_first(0, ["MR-PAGE"])
    log_in_on_page(page, live.url + "/?lang=id", live.candidate(0))
    start_on_page(page)
    page.wait_for_selector("#q-options .option")
    texts = _texts(page)

    _go_to(page, "pilih semua kota")
    boxes = page.locator("#q-options input[type=checkbox]")
    assert boxes.count() == 4 and page.locator("#q-options input[type=radio]").count() == 0
    assert page.locator("#q-options").get_attribute("role") == "group"
    assert page.locator("#q-options .multi-hint").inner_text() == texts["choose_all"]
    page.locator("#q-options .option").nth(0).click()  # Jakarta, 3 points
    page.wait_for_selector("#q-options .option.chosen", state="attached")
    page.locator("#q-options .option").nth(1).click()  # Surabaya, 3 points: 6 in all, above the upper bound 5
    page.wait_for_selector("#q-options .option:nth-of-type(2).chosen", state="attached")
    page.locator("#save-state", has_text=texts["saved"]).wait_for()
    page.wait_for_selector("#grid .cell.current.answered", state="attached")
    assert page.locator("#q-options .option.chosen").count() == 2

    page.reload()  # the page resumes from the server, on the question last viewed: both boxes are still ticked
    page.wait_for_selector("#q-options input[type=checkbox]")
    assert "pilih semua kota" in (page.locator("#q-text").text_content() or "")
    assert [boxes.nth(i).is_checked() for i in range(4)] == [True, True, False, False]
    page.screenshot(path=str(SHOTS / "candidate-multiple-response.png"))

    page.locator("#q-options .option").nth(1).click()  # untick Surabaya and tick it again: the last set counts
    page.wait_for_selector("#q-options .option:nth-of-type(2):not(.chosen)", state="attached")
    page.locator("#save-state", has_text=texts["saved"]).wait_for()
    assert [boxes.nth(i).is_checked() for i in range(4)] == [True, False, False, False]
    page.locator("#q-options .option").nth(1).click()
    page.wait_for_selector("#q-options .option:nth-of-type(2).chosen", state="attached")
    page.locator("#save-state", has_text=texts["saved"]).wait_for()
    page.keyboard.press("c")  # the keyboard ticks a box (C: Kuala Lumpur) and unticks it again
    page.wait_for_selector("#q-options .option:nth-of-type(3).chosen", state="attached")
    assert page.locator("#q-options input:focus").get_attribute("value") == boxes.nth(2).get_attribute("value")
    page.keyboard.press("c")
    page.wait_for_selector("#q-options .option:nth-of-type(3):not(.chosen)", state="attached")
    page.locator("#save-state", has_text=texts["saved"]).wait_for()
    assert [boxes.nth(i).is_checked() for i in range(4)] == [True, True, False, False]

    finish_on_page(page)
    page.wait_for_selector("#result-view:visible")
    rows = {r.locator(".name").inner_text(): r.locator(".score").inner_text()
            for r in page.locator("#result-rows tr").all()}
    assert rows["TIU"] == "5" and rows[texts["total"]] == "5", rows  # 3 + 3 clamped to 5; nothing else answered
    page.screenshot(path=str(SHOTS / "candidate-multiple-result.png"))


def test_accommodations_are_applied_to_the_page(page_on: tuple[Any, LiveServer], browser: Any) -> None:
    page, live = page_on
    SHOTS.mkdir(exist_ok=True)
    with db.session_scope(live.db_url) as s:
        s.execute(update(CandidateRow).where(CandidateRow.id == live.candidate_id(1)).values(
            extra_time_s=600, large_text=True, high_contrast=True))
    log_in_on_page(page, live.url + "/?lang=id", live.candidate(1))
    html = page.locator("html")
    assert set((html.get_attribute("class") or "").split()) >= {"acc-large", "acc-contrast"}
    page.wait_for_selector("#agree-box:visible")
    assert "+ 10 menit tambahan waktu" in page.locator("#start-duration").inner_text()
    page.screenshot(path=str(SHOTS / "candidate-accommodations-start.png"))
    start_on_page(page)
    page.wait_for_selector("#q-options .option")
    assert page.locator("#clock").inner_text() in ("00:40:00", "00:39:59"), "30 minutes and 10 extra"
    assert page.locator("body").evaluate("b => getComputedStyle(b).fontSize") == "20px"
    assert page.locator("body").evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(255, 255, 255)"
    page.locator("#q-options .option").nth(0).click()
    page.wait_for_selector("#grid .cell.current.answered", state="attached")
    page.screenshot(path=str(SHOTS / "candidate-accommodations.png"))

    other = browser.new_page()  # another candidate on this PC, not logged in yet: none of these settings
    other.goto(live.url + "/?lang=id")
    assert not {"acc-large", "acc-contrast"} & set((other.locator("html").get_attribute("class") or "").split())
    other.close()


def test_any_candidate_can_switch_larger_text_and_high_contrast(page_on: tuple[Any, LiveServer]) -> None:
    page, live = page_on
    log_in_on_page(page, live.url + "/?lang=id", live.candidate(2))  # no accommodation set in advance
    html = page.locator("html")
    assert not {"acc-large", "acc-contrast"} & set((html.get_attribute("class") or "").split())
    large, contrast = page.locator("#large-button"), page.locator("#contrast-button")
    assert large.inner_text() == "Teks lebih besar" and large.get_attribute("aria-pressed") == "false"
    large.click()
    contrast.focus()
    page.keyboard.press("Enter")  # by keyboard too
    page.wait_for_selector("html.acc-large.acc-contrast", state="attached")
    assert large.get_attribute("aria-pressed") == "true" and contrast.get_attribute("aria-pressed") == "true"
    start_on_page(page)
    page.wait_for_selector("#q-options .option")
    page.reload()  # kept for this tab
    page.wait_for_selector("#q-options .option")
    assert set((html.get_attribute("class") or "").split()) >= {"acc-large", "acc-contrast"}
    assert page.locator("body").evaluate("b => getComputedStyle(b).fontSize") == "20px"
    large.click()
    page.wait_for_selector("html.acc-contrast:not(.acc-large)", state="attached")
    assert large.get_attribute("aria-pressed") == "false"
