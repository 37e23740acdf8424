"""Rich stems on the candidate page in headless Chromium: tables and MathML shown, hostile markup inert."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.live import LiveServer, log_in_on_page, start_on_page, wait_until
from tests.recordings import wav

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "test-output"
DATA = Path(__file__).resolve().parents[1] / "question_bank" / "data" / "fidelity"
HOSTILE = (
    '<p id="q-options">Soal berbahaya</p><img src="/pwned.png" onerror="window.pwned = 1">'
    "<script>window.pwned = 2</script><style>body { display: none }</style>"
    '<a href="/pwned-link">tautan</a><table><tr><td style="color:red" onclick="window.pwned = 3">sel</td></tr></table>'
    '<math><mi href="/pwned-math">y</mi></math><svg><circle r="5"/></svg>'
)


@pytest.fixture
def rich_page(sqlite_server: LiveServer, browser: Any, page_errors: list[str]) -> tuple[Any, LiveServer, list[str]]:
    live = sqlite_server
    live._cli("bank", "import", str(DATA / "qti21_table_math.xml"), "--subtest", "TIU")
    hostile = live.data_dir / "hostile.json"
    hostile.write_text(json.dumps({"format": "exam-engine-bank", "version": 1, "items": [{
        "uid": "TIU-HOSTILE", "subtest": "TIU", "text": "Soal berbahaya",
        "options": [{"text": "Ya", "points": 5}, {"text": "Tidak", "points": 0}],
    }, {
        "uid": "TIU-LATEX", "subtest": "TIU", "text": "Nilai $\\frac{1}{2} + x^2$ untuk x = 1 adalah ...",
        "options": [{"text": "1,5", "points": 5}, {"text": "2", "points": 0}],
    }, {
        "uid": "TIU-AUDIO", "subtest": "TIU", "text": "Dengarkan nada berikut. Berapa frekuensinya?",
        "media": [{"src": "data:audio/wav;base64," + base64.b64encode(wav()).decode(), "alt": "nada 440 Hz"}],
        "options": [{"text": "440 Hz", "points": 5}, {"text": "880 Hz", "points": 0}],
    }]}), encoding="utf-8")
    live._cli("bank", "import", str(hostile))
    live.show_first(0, ["TIU-TAB-2", "TIU-HOSTILE", "TIU-LATEX", "TIU-AUDIO"], html={"TIU-HOSTILE": HOSTILE})
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    return page, live, requested


def _go_to(page: Any, text: str) -> None:
    """Click through the grid until the question whose stem contains ``text`` is shown."""
    for i in range(page.locator("#grid .cell").count()):
        page.locator("#grid .cell").nth(i).click()
        if text in (page.locator("#q-text").text_content() or ""):
            return
    raise AssertionError(f"no question shows {text!r}")


def test_tables_and_mathml_render_and_hostile_markup_stays_inert(rich_page: tuple[Any, LiveServer, list[str]]) -> None:
    page, live, requested = rich_page
    SHOTS.mkdir(exist_ok=True)
    log_in_on_page(page, live.url + "/?lang=id", live.candidate(0))
    start_on_page(page)
    page.wait_for_selector("#q-options .option")

    _go_to(page, "Pilih satu.")
    table = page.locator("#q-text .rich table")
    assert table.count() == 1 and table.locator("td").count() == 6
    assert "2n" in " ".join(table.locator("tr").nth(1).all_inner_texts()).replace(" ", "").replace("\t", "")
    math = page.locator("#q-text .rich math")
    assert math.count() == 1
    assert math.evaluate("m => m.namespaceURI") == "http://www.w3.org/1998/Math/MathML"
    assert math.locator("msup mn").count() == 2
    box = math.bounding_box()
    assert box and box["width"] > 10 and box["height"] > 10, "Chromium lays MathML out (it is not just text)"
    page.screenshot(path=str(SHOTS / "candidate-rich-stem.png"))

    _go_to(page, "untuk x = 1")  # LaTeX in a plain stem, rendered to MathML on import with the TeX as annotation
    formula = page.locator("#q-text .rich math")
    assert formula.count() == 1 and formula.locator("mfrac").count() == 1
    assert "frac" not in page.locator("#q-text").inner_text(), "the TeX annotation is kept, not shown"

    _go_to(page, "Dengarkan nada")  # a recording: fetched by its label with the token in a header, a blob: URL
    player = page.locator("#q-text audio[controls]")
    assert player.count() == 1 and player.get_attribute("aria-label") == "nada 440 Hz"
    page.wait_for_selector('#q-text audio[src^="blob:"]', state="attached")
    wait_until(lambda: player.evaluate("a => a.readyState") >= 1, message="the recording's metadata loaded")
    assert abs(player.evaluate("a => a.duration") - 0.5) < 0.01
    assert any("/api/v1/candidate/media/" in u for u in requested)
    player.evaluate("a => { a.dataset.mark = 'same'; }")
    page.locator("#q-options .option").first.click()  # a redraw keeps the same player (a recording plays on)
    page.wait_for_selector("#grid .cell.current.answered", state="attached")
    assert page.locator("#q-text audio[data-mark=same]").count() == 1
    page.screenshot(path=str(SHOTS / "candidate-rich-audio.png"))

    _go_to(page, "Soal berbahaya")
    rich = page.locator("#q-text .rich")
    assert rich.locator("img, script, style, a, svg, [onerror], [onclick], [style], [id], [href]").count() == 0
    assert rich.locator("td").inner_text() == "sel" and rich.locator("math mi").text_content() == "y"
    assert "tautan" in rich.inner_text(), "a link's text stays, the link goes"
    assert page.evaluate("() => window.pwned") is None, "no injected handler or script ran"
    assert not [u for u in requested if "pwned" in u], "nothing of the markup was fetched"
    assert page.locator("#q-options .option").count() == 2, "an injected id does not take the page's elements"
    page.locator("#q-options .option").first.click()
    page.wait_for_selector("#grid .cell.current.answered", state="attached")
    page.screenshot(path=str(SHOTS / "candidate-rich-hostile.png"))
