"""The committee console in headless Chromium (issue 15): from sign-in to an open exam with the browser only, then a
proctor opens the room and a candidate logs in with the printed card and starts. axe-core on every console page:
0 WCAG 2.1 AA violations; screenshots at 1366×768 in test-output/console-*.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from proctor import roster
from tests.candidate.test_candidate_screen import axe_clean
from tests.committee.console.files import BROKEN_GIFT, FIXED_GIFT, roster_csv, skd_bank
from tests.live import ROOT, LiveServer, log_in_on_page, start_on_page, wait_until
from tests.proctor.clients import sign_in_on_page

pytestmark = pytest.mark.browser
SHOTS = ROOT / "test-output"
VIEW = {"width": 1366, "height": 768}


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"console-{name}.png"), full_page=False)


def looked_at(page: Any, name: str) -> None:
    """Every console page: axe-core clean, then its screenshot."""
    axe_clean(page, name)
    shot(page, name)


def test_a_committee_prepares_and_opens_an_exam_in_the_browser(
    sqlite_server: LiveServer, browser: Any, page_errors: list[str], tmp_path: Path
) -> None:
    live = sqlite_server
    page = browser.new_context(viewport=VIEW).new_page()
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))

    sign_in_on_page(page, live, "committee")
    page.wait_for_url(re.compile(r".*/committee/$"))
    assert page.locator("#nav-home").get_attribute("aria-current") == "page"
    looked_at(page, "home")

    # a bank with a problem: the problem at its place, no import button
    gift = tmp_path / "soal.gift"
    gift.write_text(BROKEN_GIFT, encoding="utf-8")
    page.click("#nav-bank")
    looked_at(page, "bank")
    page.set_input_files("#bank-file", str(gift))
    page.click("#bank-preview")
    page.wait_for_selector("#import-problems")
    assert "soal.gift:" in page.locator("#import-problems").inner_text()
    assert page.locator("#import-commit").count() == 0
    looked_at(page, "bank-preview-refused")
    page.click("#import-cancel")

    # the same file fixed: imported
    gift.write_text(FIXED_GIFT, encoding="utf-8")
    page.set_input_files("#bank-file", str(gift))
    page.click("#bank-preview")
    assert page.locator("#count-new").inner_text() == "2"
    page.click("#import-commit")
    assert "soal.gift" in page.locator("#flash").inner_text()

    # an XLSX bank: preview (the items as candidates see them), then commit
    page.set_input_files("#bank-file", str(skd_bank(tmp_path / "bank.xlsx")))
    page.click("#bank-preview")
    assert page.locator("#count-new").inner_text() == "110"
    looked_at(page, "bank-preview")
    page.click("#import-commit")
    assert "110" in page.locator("#flash").inner_text()

    # the SKD blueprint: asking more than the bank holds shows what is missing, then the exam from the checked blueprint
    page.click("#nav-blueprints")
    # the live check as one types (no button): a draw of 5 TWK items 'umum'/'sulit' lacks 5 in its cell, 'sedang' fills
    page.fill("#draw-TWK-0-count", "5")
    page.fill("#draw-TWK-0-category", "umum")
    page.fill("#draw-TWK-0-difficulty", "sulit")
    page.wait_for_selector("#cell-TWK-0 >> text=5", state="attached")
    page.wait_for_selector("#bp-problems")
    assert page.url.endswith("/committee/blueprints/")  # the page itself did not move: the script asked
    looked_at(page, "blueprints-cells")
    page.fill("#draw-TWK-0-difficulty", "sedang")
    page.wait_for_selector("#bp-ok")
    assert page.locator("#cell-TWK-0").inner_text() == "30"
    page.fill("#count-TWK", "300")
    page.click("#bp-check")
    page.wait_for_selector("#bp-problems")
    looked_at(page, "blueprints-short")
    page.fill("#count-TWK", "30")
    page.click("#bp-check")
    page.wait_for_selector("#bp-ok")
    looked_at(page, "blueprints")
    page.fill("#bp-exam-code", "SKD-2026")
    page.click("#bp-create-exam")
    page.wait_for_selector("#stock-ok")
    looked_at(page, "exam")
    page.click("#nav-exams")
    looked_at(page, "exams")

    # two sessions at sites in two zones (each start typed and shown in its zone, labelled), a room in each
    page.click("text=SKD-2026")
    for code, site, zone, start in (("S1", "Makassar", "WITA", "2026-12-01T08:00"),
                                    ("S2", "Jakarta", "WIB", "2026-12-01T13:00")):
        page.fill("#session-code", code)
        page.fill("#session-label", f"Sesi {code[1]}")
        page.fill("#session-site", site)
        page.fill("#session-start", start)
        page.select_option("#session-zone", zone)
        page.click("#session-add")
        page.wait_for_selector(f"#exam-sessions >> text={code} · Sesi {code[1]}")
    sessions = page.locator("#exam-sessions").inner_text()
    assert "2026-12-01 08:00 WITA" in sessions and "2026-12-01 13:00 WIB" in sessions
    looked_at(page, "exam-sessions")
    for code, room in (("S1", "R1-S1"), ("S2", "R2-S2")):
        page.click(f"#exam-sessions >> text={code} · Sesi {code[1]}")
        page.fill("#sroom-code", room)
        page.fill("#sroom-name", f"Ruang {room}")
        page.fill("#sroom-capacity", "40")
        page.click("#sroom-add")
        page.wait_for_selector(f"#session-room-{room}")
        if code == "S1":
            looked_at(page, "session-scheduled")
        page.click("#nav-exams")
        page.click("text=SKD-2026")
    page.click("#nav-rooms")
    rooms = page.locator("#room-list").inner_text()
    assert "2026-12-01 08:00 WITA" in rooms and "2026-12-01 13:00 WIB" in rooms
    looked_at(page, "rooms")
    page.fill("#staff-username", "pengawas9")
    page.fill("#staff-name", "Budi Pengawas")
    page.select_option("#staff-role", "proctor")
    page.select_option("#staff-room", "R1-S1")
    page.click("#staff-add")
    proctor_password = page.locator("#sheet-password").inner_text()
    looked_at(page, "password-sheet")
    page.click("#nav-rooms")
    page.click("#reset-link-pengawas9")  # the other way: a one-time link the person opens (not used here)
    reset = page.locator("#sheet-link").inner_text()
    page.goto(reset)
    assert page.locator("#reset-username").inner_text() == "pengawas9"
    looked_at(page, "staff-reset")
    page.goto(live.url + "/committee/")

    # candidates: a file with a bad line is refused by line; the good one previewed, imported, papers issued
    rows = [(f"2026{i:06d}", f"Peserta {i}", "R1", "1") for i in range(3)]
    page.click("#nav-candidates")
    page.select_option("#cand-exam", "SKD-2026")
    page.set_input_files("#cand-file", str(roster_csv(tmp_path / "bad.csv", rows, bad_line=True)))
    page.click("#cand-preview")
    assert "5" in page.locator("#cand-problems").inner_text()
    looked_at(page, "candidates-refused")
    page.select_option("#cand-exam", "SKD-2026")
    page.set_input_files("#cand-file", str(roster_csv(tmp_path / "peserta.csv", rows)))
    page.check("#cand-issue")
    page.click("#cand-preview")
    assert "Peserta 2" in page.locator("#cand-rows").inner_text()
    looked_at(page, "candidates-preview")
    page.click("#cand-commit")
    page.wait_for_selector("#pin-lists")
    looked_at(page, "candidates")
    page.select_option("#people-exam", "SKD-2026")
    page.click("#people-show")
    assert page.locator("#people tbody tr").count() == 3
    looked_at(page, "candidates-list")
    cards = page.locator(".cards-link").first.get_attribute("href")
    pdf = page.request.get(live.url + cards)
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

    # one candidate: a photo (on the attendance list) and 30 minutes of extra time
    photo = tmp_path / "foto.png"
    Image.new("RGB", (90, 120), (180, 40, 40)).save(photo, "PNG")
    page.click("#people >> text=2026000001")
    page.set_input_files("#photo-file", str(photo))
    page.click("#photo-upload")
    page.wait_for_selector("#person-photo")
    page.fill("#acc-extra", "30")
    page.check("#acc-large")
    page.click("#acc-save")
    assert page.locator("#acc-extra").input_value() == "30" and page.locator("#acc-large").is_checked()
    looked_at(page, "candidate-person")

    # open the first session: its code typed again (the exam key is released with it); the second stays scheduled
    page.click("#nav-exams")
    page.click("text=SKD-2026")
    assert page.locator("#unissued").inner_text() == "0"
    page.click("#exam-sessions >> text=S1 · Sesi 1")
    page.fill("#session-confirm", "S2")
    page.click("#session-open")
    assert page.locator("#session-error").is_visible()
    page.fill("#session-confirm", "S1")
    page.click("#session-open")
    page.wait_for_selector("#session-opened")
    assert "login dibuka" in page.locator("#session-room-R1-S1").inner_text()  # Indonesian first
    page.click("#nav-exams")
    page.click("text=SKD-2026")
    page.wait_for_selector("#opened")
    looked_at(page, "exam-open")

    # the console in English too: the same pages, axe-clean
    for path in ("/committee/?lang=en", "/committee/bank/", "/committee/rooms/", "/committee/candidates/"):
        page.goto(live.url + path)
        axe_clean(page, f"{path} en")
    assert page.locator("#nav-home").inner_text() == "Home"
    page.goto(live.url + "/committee/exams/SKD-2026/seating/")  # seating a recruitment by site: no recruitment yet
    looked_at(page, "seating")

    # the proctor (the sheet's password) opens the room for login; a candidate logs in with the card and starts
    proctor = browser.new_context(viewport=VIEW).new_page()
    proctor.on("pageerror", lambda exc: page_errors.append(str(exc)))
    proctor.goto(live.url + "/staff/login")
    proctor.fill("#username", "pengawas9")
    proctor.fill("#password", proctor_password)
    proctor.click("#sign-in")
    proctor.wait_for_url(re.compile(r".*/proctor/$"))
    proctor.wait_for_selector(".cell")  # the room's candidates: the dashboard has joined it (the session opened it)
    proctor.click("#reveal-token")
    proctor.wait_for_selector("#room-token:not([hidden])")
    token = proctor.locator("#room-token").inner_text().strip()
    shot(proctor, "proctor")
    # the session's overview: every room of it on one screen with its live state, linked to the proctor view
    page.goto(live.url + "/committee/")
    page.click("#home-sessions >> text=S1 · Sesi 1")
    assert page.locator("#session-room-R1-S1 td").nth(3).inner_text() == "0"  # before the candidate starts
    pins = next(live.data_dir.glob("pins-SKD-2026-*.csv"))
    card = next(p for p in roster.read_pins(pins) if p.participant_no == "2026000000")
    candidate = browser.new_context(viewport=VIEW).new_page()
    candidate.on("pageerror", lambda exc: page_errors.append(str(exc)))
    log_in_on_page(candidate, live.url + "/",
                   {"participant_no": card.participant_no, "pin": card.pin, "room_token": token})
    start_on_page(candidate)
    candidate.wait_for_selector("#q-options .option")
    shot(candidate, "candidate-started")

    # the page keeps itself current (static/js/live-refresh.js): no reload
    wait_until(lambda: page.locator("#session-room-R1-S1 td").nth(3).inner_text() == "1", timeout=20,
               message="the started candidate counted as working on the overview")
    assert "1" == page.locator("#session-room-R1-S1 td").nth(2).inner_text()  # present
    looked_at(page, "session-overview")
    href = page.locator("#session-room-R1-S1 a").get_attribute("href")
    assert href and href.startswith("/proctor/?room=")
