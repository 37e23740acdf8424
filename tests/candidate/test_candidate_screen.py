"""The candidate's screen as a room uses it (issue 13): keyboard only from login to result, the start screen with the
agreement, the summary before finishing, the score slip with its QR code, Keluar, reload, phone layout, page weight,
and axe-core (from npm) on every page in both languages: 0 WCAG 2.1 AA violations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.live import ROOT, LiveServer, log_in_on_page, start_on_page

pytestmark = pytest.mark.browser
SHOTS = ROOT / "test-output"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """() => axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
  .then((r) => r.violations.map((v) => ({id: v.id, help: v.help, nodes: v.nodes.slice(0, 4).map((n) => n.html)})))"""


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=False)


def axe_clean(page: Any, where: str) -> None:
    """axe-core on the page as it is now; its source is evaluated by the test (the page's CSP stays as served)."""
    assert AXE.exists(), "axe-core is a devDependency in package.json: run make vendor (npm install)"
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(AXE_RUN)
    assert violations == [], f"{where}: {violations}"


def passing_grade(live: LiveServer, subtest: str) -> float:
    """The demo exam's passing grade for ``subtest`` (general entry path), read from its grading rules."""
    from sqlalchemy import select

    from ground import db
    from ground.models import Exam
    from scoring.store.announcement import exam_rules

    with db.session_scope(live.db_url) as s:
        return float(exam_rules(s.scalar(select(Exam).limit(1))).path(None).minimums[subtest])


def focused(page: Any) -> str:
    return str(page.evaluate("""() => { const a = document.activeElement;
        return a && (a.id || a.className || a.tagName); }"""))


def tab_to(page: Any, element_id: str, limit: int = 80) -> None:
    """Press Tab until the element with ``element_id`` has the focus (the keyboard, not a click)."""
    for _ in range(limit):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id} (at {focused(page)})")


def focus_ring(page: Any, around: str = "") -> str:
    """The focused element's (or its ``around`` ancestor's) outline or shadow, as drawn: a visible focus ring."""
    return str(page.evaluate("""(around) => {
        const el = around ? document.activeElement.closest(around) : document.activeElement;
        const s = getComputedStyle(el);
        return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 ? 'outline' : s.boxShadow; }""", around))


@pytest.fixture
def screen(sqlite_server: LiveServer, browser: Any, page_errors: list[str]) -> Any:
    """A factory of pages (one per computer) at a viewport, each reporting its JavaScript errors."""
    contexts: list[Any] = []

    def new_page(width: int = 1366, height: int = 768) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))
        return page

    yield new_page
    for context in contexts:
        context.close()


def test_a_keyboard_only_exam_from_login_to_result_and_keluar(sqlite_server: LiveServer, screen: Any) -> None:
    live = sqlite_server
    cred = live.candidate(0)
    page = screen()
    page.goto(live.url + "/?lang=id")
    axe_clean(page, "login id")
    shot(page, "screen-login-1366.png")
    assert focused(page) == "participant_no", "the login's first field has the focus"
    page.keyboard.type(cred["participant_no"])
    page.keyboard.press("Tab")
    page.keyboard.type(cred["pin"])
    page.keyboard.press("Tab")
    page.keyboard.type(cred["room_token"])
    page.keyboard.press("Enter")

    # the start screen: who, what, how long, the rules, the keys; Start only after Saya setuju
    page.wait_for_selector("#wait-view:visible")
    assert page.locator("#start-name").inner_text() == "Peserta Demo 1"
    assert page.locator("#start-number").inner_text() == cred["participant_no"]
    assert page.locator("#start-duration").inner_text() == "30 menit"
    counts = [int(x) for x in page.locator("#start-subtests td:last-child").all_inner_texts()]
    assert len(counts) == 3 and sum(counts) == 30
    assert "ragu-ragu" in page.locator(".keys").inner_text()
    assert page.locator("#start-button").is_disabled()
    axe_clean(page, "start screen id")
    shot(page, "screen-start-1366.png")
    tab_to(page, "agree-box")
    page.keyboard.press("Space")
    tab_to(page, "start-button")
    assert focus_ring(page) == "outline"
    page.keyboard.press("Enter")

    # questions by keyboard: letters and digits choose, arrows move, R marks, G goes to the grid
    page.wait_for_selector("#exam-view:visible #q-options .option")
    assert page.locator("#clock").get_attribute("aria-live") is None, "the clock is not read out every second"
    assert focused(page) == "q-head"
    page.keyboard.press("b")
    page.wait_for_selector("#grid .cell:nth-child(1).answered", state="attached")
    assert page.locator("#q-options input").nth(1).is_checked()
    page.keyboard.press("ArrowRight")
    page.locator("#q-number", has_text=re.compile(r"^2 /")).wait_for()
    page.keyboard.press("3")
    page.wait_for_selector("#grid .cell:nth-child(2).answered", state="attached")
    page.keyboard.press("ArrowRight")
    page.locator("#q-number", has_text=re.compile(r"^3 /")).wait_for()
    page.keyboard.press("a")
    page.wait_for_selector("#grid .cell:nth-child(3).answered", state="attached")
    page.keyboard.press("ArrowDown")  # the radio group's own key: the next option, chosen; the focus stays on it
    page.wait_for_selector("#q-options .option:nth-child(2).chosen")
    page.locator("#save-state", has_text="Tersimpan").wait_for()
    second = page.locator("#q-options input").nth(1).get_attribute("value")
    assert page.evaluate("() => document.activeElement.value") == second
    assert focus_ring(page, ".option") != "none", "the focused option is drawn with a ring"
    page.keyboard.press("r")
    page.wait_for_selector("#grid .cell:nth-child(3).flagged", state="attached")
    assert page.is_checked("#flag-box")
    page.locator("#save-state", has_text="Tersimpan").wait_for()  # the flag acknowledged: the cell no longer unsent
    page.keyboard.press("g")
    assert page.evaluate("() => document.activeElement.classList.contains('current')")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "Soal 3, dijawab, ragu-ragu"
    assert focus_ring(page) == "outline"
    page.keyboard.press("ArrowRight")
    page.locator("#q-number", has_text=re.compile(r"^4 /")).wait_for()
    axe_clean(page, "question id")
    shot(page, "screen-question-1366.png")

    # a reload comes back to question 4 with every answer
    page.reload()
    page.wait_for_selector("#exam-view:visible #q-options .option")
    assert page.locator("#q-number").inner_text().startswith("4 /")
    assert page.locator("#grid .cell.answered").count() == 2 and page.locator("#grid .cell.flagged").count() == 1

    # the clock is announced when 10 minutes are left, in its own live region
    assert page.locator("#clock-announce").inner_text() == ""
    live.advance_clock(21 * 60)
    page.locator("#clock-announce", has_text="Sisa waktu 10 menit.").wait_for(state="attached")
    assert page.locator("#clock-announce").get_attribute("aria-live") == "assertive"

    # the summary: counts, each question a way back, finishing confirmed on the page
    page.keyboard.press("g")
    tab_to(page, "submit-button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#summary-view:visible")
    assert [page.locator(f"#sum-{k}").inner_text() for k in ("answered", "unanswered", "flagged")] == ["3", "27", "1"]
    assert page.locator("#summary-list .cell.flagged").count() == 1
    axe_clean(page, "summary id")
    shot(page, "screen-summary-1366.png")
    page.keyboard.press("Tab")  # from the heading to question 1
    page.keyboard.press("Enter")
    page.wait_for_selector("#exam-view:visible")
    assert page.locator("#q-number").inner_text().startswith("1 /") and focused(page) == "q-head"
    page.keyboard.press("g")
    tab_to(page, "submit-button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#summary-view:visible")
    tab_to(page, "finish-confirm")
    page.keyboard.press("Enter")

    # the score slip: each subtest against its passing grade, the receipt's QR code, printable
    page.wait_for_selector("#result-view:visible")
    rows = page.locator("#result-rows tr")
    assert rows.count() == 4
    first = rows.nth(0).locator("th").inner_text()
    assert float(rows.nth(0).locator("td.grade").inner_text()) == passing_grade(live, first)
    assert rows.nth(0).locator("td.status").inner_text() in ("Lulus", "Di bawah nilai ambang batas")
    page.wait_for_selector("#receipt-qr:visible")
    assert page.evaluate("() => document.getElementById('receipt-qr').naturalWidth") > 100
    assert page.locator("#slip-number").inner_text() == cred["participant_no"]
    axe_clean(page, "result id")
    shot(page, "screen-result-1366.png")
    page.emulate_media(media="print")
    shot(page, "screen-result-print.png")
    assert page.locator("#exit-button").is_hidden() and page.locator(".lang").first.is_hidden()
    page.emulate_media(media="screen")
    receipt = page.locator("#receipt").inner_text()

    # Keluar: the PC is ready for the next candidate
    tab_to(page, "exit-button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#login-view:visible")
    assert focused(page) == "participant_no" and page.input_value("#participant_no") == ""
    assert page.evaluate("() => sessionStorage.length") == 0
    page.reload()
    page.wait_for_selector("#login-view:visible")
    log_in_on_page(page, live.url + "/?lang=id", live.candidate(1))  # the next candidate on the same PC
    page.wait_for_selector("#start-name:has-text('Peserta Demo 2')")

    # the receipt check page, in the page's language, with names a person reads
    page.goto(live.url + "/receipt?lang=id")
    axe_clean(page, "receipt check id (empty)")
    page.fill("#receipt", receipt)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#outcome[data-valid='true']")
    assert "Nomor peserta" in page.locator("#outcome").inner_text()
    axe_clean(page, "receipt check id (valid)")
    page.fill("#receipt", "bukan.tanda-terima")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#outcome[data-valid='false']")
    assert "Ini bukan tanda terima" in page.locator("#outcome").inner_text()
    axe_clean(page, "receipt check id (invalid)")


def test_every_page_in_english_is_accessible_and_fits_1024_and_a_phone(sqlite_server: LiveServer, screen: Any) -> None:
    live = sqlite_server
    for width, height, who in ((1024, 768, 2), (390, 844, 3)):
        page = screen(width, height)
        tag = f"{width}"
        page.goto(live.url + "/?lang=en")
        axe_clean(page, f"login en {tag}")
        shot(page, f"screen-login-{tag}.png")
        log_in_on_page(page, live.url + "/?lang=en", live.candidate(who))
        page.wait_for_selector("#wait-view:visible")
        axe_clean(page, f"start screen en {tag}")
        shot(page, f"screen-start-{tag}.png")
        start_on_page(page)
        page.wait_for_selector("#exam-view:visible #q-options .option")
        page.locator("#q-options .option").nth(0).click()
        page.wait_for_selector("#grid .cell:nth-child(1).answered", state="attached")
        axe_clean(page, f"question en {tag}")
        shot(page, f"screen-question-{tag}.png")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width, "nothing overflows sideways"
        page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
        box = page.locator("#clock").bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, "the clock stays in view"
        if width == 390:
            shot(page, "screen-question-390-scrolled.png")
        page.click("#submit-button")
        page.wait_for_selector("#summary-view:visible")
        axe_clean(page, f"summary en {tag}")
        shot(page, f"screen-summary-{tag}.png")
        page.click("#finish-confirm")
        page.wait_for_selector("#receipt-qr:visible")
        assert page.locator("#result-rows th").first.inner_text() != ""
        axe_clean(page, f"result en {tag}")
        shot(page, f"screen-result-{tag}.png")
        receipt = page.locator("#receipt").inner_text()
        page.goto(live.url + "/receipt?lang=en")
        page.fill("#receipt", receipt)
        page.click("button[type=submit]")
        page.wait_for_selector("#outcome[data-valid='true']")
        assert "Participant number" in page.locator("#outcome").inner_text()
        axe_clean(page, f"receipt check en {tag}")


def test_first_load_is_under_150_kb_compressed(sqlite_server: LiveServer, screen: Any) -> None:
    page = screen()
    page.goto(sqlite_server.url + "/")
    page.wait_for_selector("#login-view:visible")
    page.wait_for_load_state("load")
    sizes = page.evaluate("""() => [...performance.getEntriesByType('navigation'),
        ...performance.getEntriesByType('resource')].map((e) =>
        ({name: e.name, transfer: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize}))""")
    total = sum(e["transfer"] for e in sizes)
    assert all(e["transfer"] > 0 for e in sizes), sizes  # nothing came from a cache: a first load
    assert total < 150_000, (total, sizes)
    scripts = [e for e in sizes if e["name"].split("?")[0].endswith(".js") and e["decoded"] > 2000]
    assert scripts and all(e["encoded"] < e["decoded"] / 2 for e in scripts), scripts  # sent compressed
    again = page.context.new_page()  # the same PC again: hashed files come from its cache, not the network
    again.goto(sqlite_server.url + "/")
    again.wait_for_load_state("load")
    cached = again.evaluate("""() => performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('?v=')).map((e) => e.transferSize)""")
    assert cached and all(size == 0 for size in cached), cached
    Path(SHOTS).mkdir(exist_ok=True)
