"""The durable, honest candidate page (issue 10) in real headless Chromium against a real server.

Network drops (Playwright's offline mode), reloads and closed tabs lose nothing the candidate changed; the page
says "Saved" only after the server applied a change and otherwise counts what is waiting; a PC whose clock is
behind changes answers that count; a locked or paused paper survives a reload and continues without Start.
Screenshots go to EXAM_TEST_SHOTS (default /tmp/exam-engine-shots), outside the repository.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from candidate.results import score_paper
from ground import db
from ground.models import Answer, Candidate, Exam, Paper, Result, Room
from scoring.receipts import answers_digest
from tests.live import LiveServer, finish_on_page, log_in_on_page, receipt_claims, start_on_page, wait_until
from tests.proctor.clients import Proctor, staff_creds

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("EXAM_TEST_SHOTS", "/tmp/exam-engine-shots"))
WAIT_MS = 30_000  # reconnecting after the network returns takes up to socket.io's reconnection delay
# waits are selectors and locators: the page runs under its real CSP, which forbids the eval wait_for_function needs


@pytest.fixture
def contexts(browser: Any, page_errors: list[str]) -> Iterator[Any]:
    """A factory of fresh browser contexts (one per "computer"), each page reporting its JavaScript errors."""
    made: list[Any] = []

    def new_context(**kwargs: Any) -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 860}, **kwargs)
        context.on("page", lambda page: page.on("pageerror", lambda exc: page_errors.append(str(exc))))
        made.append(context)
        return context

    yield new_context
    for context in made:
        context.close()


# ---- helpers ---------------------------------------------------------------------------------------------
def login(page: Any, live: LiveServer, i: int, query: str = "") -> None:
    log_in_on_page(page, live.url + "/" + query, live.candidate(i))


def start(page: Any, live: LiveServer, i: int, query: str = "") -> None:
    login(page, live, i, query)
    start_on_page(page)
    page.wait_for_selector("#exam-view:visible #q-options .option")


def goto_question(page: Any, n: int) -> None:
    page.locator("#grid .cell").nth(n).click()
    page.locator("#q-number", has_text=re.compile(rf"^{n + 1} /")).wait_for(state="attached")


def answer(page: Any, n: int, option: int) -> str:
    """Choose ``option`` on question ``n`` (0-based); returns the option id, once the screen shows it."""
    goto_question(page, n)
    opt = page.locator("#q-options .option").nth(option)
    oid = opt.locator("input").get_attribute("value")
    opt.click()
    page.wait_for_selector(f"#q-options input[value='{oid}']:checked")
    return oid


def answer_saved(page: Any, n: int, option: int) -> str:
    """``answer``, then until the (Indonesian) page says the server saved it."""
    oid = answer(page, n, option)
    wait_text(page, "#save-state", "Tersimpan")
    return oid


def go_offline(context: Any, page: Any) -> None:
    """Cut the PC's network, until the (Indonesian) page says so."""
    context.set_offline(True)
    wait_text(page, "#banner", "Koneksi terputus")


def flag(page: Any, n: int) -> None:
    goto_question(page, n)
    assert not page.is_checked("#flag-box")
    page.click("#flag-box")  # the box shows the mark once it is stored (not page.check: it looks at once)
    page.wait_for_selector(f"#grid .cell:nth-child({n + 1}).flagged", state="attached")


def text(page: Any, selector: str) -> str:
    return page.locator(selector).first.inner_text()


def wait_text(page: Any, selector: str, expected: str, timeout: int = WAIT_MS) -> None:
    """Until an element of ``selector`` is shown and its text contains ``expected`` (case and all)."""
    page.locator(f"{selector}:visible", has_text=re.compile(re.escape(expected))).first.wait_for(timeout=timeout)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def paper_of(live: LiveServer, i: int) -> Paper:
    number = live.creds["candidates"][i]["participant_no"]
    with db.session_scope(live.db_url) as s:
        paper = s.scalar(select(Paper).join(Candidate, Paper.candidate_id == Candidate.id)
                         .where(Candidate.participant_no == number))
        s.expunge(paper)
        return paper


def stored_ids(live: LiveServer, i: int) -> dict[int, tuple[int | None, bool]]:
    """{question version id: (option id, flagged)} as the database holds them."""
    paper_id = paper_of(live, i).id
    with db.session_scope(live.db_url) as s:
        rows = s.execute(select(Answer.item_version_id, Answer.option_id, Answer.flagged)
                         .where(Answer.paper_id == paper_id))
        return {v: (o, f) for v, o, f in rows}


def stored(live: LiveServer, i: int) -> dict[str, tuple[str | None, bool]]:
    """What the database holds for candidate ``i``, named as their page names it: {question: (option, flagged)}."""
    pmap = live.paper_map(i)
    return {pmap.question_labels[v]: (None if o is None else pmap.option_labels[o], f)
            for v, (o, f) in stored_ids(live, i).items()}


def proctor(live: LiveServer) -> Proctor:
    p = Proctor(live, *staff_creds(live, "proctor"))
    with db.session_scope(live.db_url) as s:
        room = s.scalar(select(Room.id).where(Room.code == "DEMO-R1"))
    assert p.call("join", {"room": room})["ok"]
    p.room = room  # type: ignore[attr-defined]
    return p


def candidate_id(live: LiveServer, i: int) -> int:
    return paper_of(live, i).candidate_id


def release(live: LiveServer, i: int, reason: str) -> None:
    """The proctor releases candidate ``i``'s device binding (the candidate moves to a spare PC)."""
    p = proctor(live)
    try:
        assert p.call("release", {"room": p.room, "candidate": candidate_id(live, i), "reason": reason})["ok"]
    finally:
        p.close()


def answer_on_spare_pc(contexts: Any, live: LiveServer, i: int, n: int, option: int) -> str:
    """After a release, candidate ``i`` answers question ``n`` on a spare PC (saved there) and leaves it."""
    spare = contexts().new_page()
    start(spare, live, i)
    oid = answer_saved(spare, n, option)
    spare.close()
    wait_disconnected(live, i)
    return oid


# ---- the tests -------------------------------------------------------------------------------------------
def test_offline_answers_then_submit_are_all_scored_and_in_the_receipt(
    sqlite_server: LiveServer, contexts: Any
) -> None:
    live = sqlite_server
    context = contexts()
    page = context.new_page()
    start(page, live, 0)
    chosen = {}
    for n in range(5):
        chosen[n] = answer_saved(page, n, n % 4)
    wait_text(page, "#exam-view .queue-state", "Semua perubahan tersimpan di server")

    go_offline(context, page)
    for n in range(5, 10):
        chosen[n] = answer(page, n, (n + 1) % 4)
        # not "Saved": the server has not seen it
        assert text(page, "#save-state").startswith("Belum terkirim"), text(page, "#save-state")
    wait_text(page, "#exam-view .queue-state", "5 perubahan menunggu dikirim")
    wait_text(page, "#banner", "5 perubahan yang belum terkirim disimpan di komputer ini")
    assert "10 dari 30 terjawab" in text(page, "#progress")
    assert page.locator("#grid .cell.pending").count() == 5
    shot(page, "offline-queue-id.png")

    finish_on_page(page)
    wait_text(page, "#finish-state", "5 perubahan masih menunggu koneksi")
    assert page.locator("#result-view").is_hidden()
    assert page.locator("#q-options input:not([disabled])").count() == 0, "no change after Finish"
    shot(page, "offline-finish-waiting-id.png")
    assert paper_of(live, 0).state != "finished", "nothing is submitted while changes are waiting"

    context.set_offline(False)
    page.wait_for_selector("#result-view:visible", timeout=WAIT_MS)
    receipt = page.locator("#receipt").text_content() or ""
    shown_total = page.locator("#result-rows tr").last.locator("td.score").inner_text()

    paper = paper_of(live, 0)
    assert paper.state == "finished" and paper.finish_reason == "submitted"
    assert sorted(o for o, _f in stored(live, 0).values() if o is not None) == sorted(chosen.values())
    claims = receipt_claims(receipt)
    assert claims["answered"] == 10
    assert claims["answers_sha256"] == answers_digest(
        {str(v): (str(o) if o is not None else None) for v, (o, _f) in stored_ids(live, 0).items()})
    with db.session_scope(live.db_url) as s:
        saved_after = s.scalar(select(Answer.saved_at).where(Answer.paper_id == paper.id)
                               .order_by(Answer.saved_at.desc()).limit(1))
        assert saved_after <= paper.finished_at, "no answer saved after the paper closed"
        result = s.scalar(select(Result).where(Result.paper_id == paper.id))
        signed_total = result.total
        fresh = score_paper(s, s.get(Paper, paper.id), s.get(Exam, paper.exam_id))
        assert fresh.total == signed_total == claims["total"]
        s.rollback()
    assert float(shown_total) == signed_total


def test_offline_changes_survive_reload_and_closed_tab(sqlite_server: LiveServer, contexts: Any) -> None:
    live = sqlite_server
    context = contexts()
    page = context.new_page()
    start(page, live, 1, "?lang=en")
    first = answer(page, 0, 0)
    wait_text(page, "#save-state", "Saved")

    # F5 while offline: the browser cannot even load the page; the changes wait in IndexedDB
    context.set_offline(True)
    wait_text(page, "#banner", "Connection lost")
    second = answer(page, 1, 2)
    flag(page, 1)
    wait_text(page, "#exam-view .queue-state", "2 changes waiting to be sent")
    assert text(page, "#save-state").startswith("Not sent yet")
    shot(page, "offline-queue-en.png")
    with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED"):
        page.reload()
    context.set_offline(False)
    page.reload()
    page.wait_for_selector("#exam-view:visible #q-options .option", timeout=WAIT_MS)  # no Start pressed
    wait_text(page, "#exam-view .queue-state", "All changes saved on the server")
    cells = page.locator("#grid .cell")
    assert "answered" in (cells.nth(0).get_attribute("class") or "")
    assert "flagged" in (cells.nth(1).get_attribute("class") or "")
    got = stored(live, 1)
    assert sorted(o for o, _f in got.values()) == sorted([first, second])
    assert [f for _o, f in got.values()].count(True) == 1

    # closing the tab while offline, then reopening and logging in again: still everything
    context.set_offline(True)
    wait_text(page, "#banner", "Connection lost")
    third = answer(page, 2, 1)
    flag(page, 3)
    goto_question(page, 1)
    page.click("#flag-box")
    page.wait_for_selector("#grid .cell:nth-child(2):not(.flagged)", state="attached")
    wait_text(page, "#exam-view .queue-state", "3 changes waiting to be sent")
    page.close()
    context.set_offline(False)
    # another candidate on the same PC gets none of those changes (the queue is keyed by exam + participant)
    other = context.new_page()
    start(other, live, 5)
    assert other.locator("#grid .cell.answered, #grid .cell.flagged, #grid .cell.pending").count() == 0
    assert other.locator("#exam-view .queue-state").is_hidden()
    assert stored(live, 5) == {}
    other.close()
    page = context.new_page()
    login(page, live, 1)
    page.wait_for_selector("#exam-view:visible #q-options .option", timeout=WAIT_MS)  # it started before: no Start
    wait_text(page, "#exam-view .queue-state", "All changes saved on the server")
    got = stored(live, 1)
    assert sorted(o for o, _f in got.values() if o is not None) == sorted([first, second, third])
    assert [f for _o, f in got.values()].count(True) == 1, "Q2 unflagged, Q4 flagged"
    cells = page.locator("#grid .cell")
    assert "flagged" in (cells.nth(3).get_attribute("class") or "")
    assert "flagged" not in (cells.nth(1).get_attribute("class") or "")
    assert page.locator("#grid .cell.answered").count() == 3


def test_device_release_to_a_pc_whose_clock_is_behind(sqlite_server: LiveServer, contexts: Any) -> None:
    live = sqlite_server
    first_pc = contexts().new_page()
    start(first_pc, live, 2)
    for n in range(3):
        answer_saved(first_pc, n, 0)

    release(live, 2, "monitor broken")
    first_pc.wait_for_selector("#login-view:visible")
    assert "komputer lain" in text(first_pc, "#login-error")

    spare = contexts()
    behind = datetime.now(UTC) - timedelta(minutes=2)
    spare.clock.set_system_time(behind)
    page = spare.new_page()
    page.goto(live.url + "/")
    skew_ms = page.evaluate("Date.now()") - datetime.now(UTC).timestamp() * 1000
    assert -125_000 < skew_ms < -115_000, f"the spare PC's clock is {skew_ms / 1000:.0f}s off"
    login(page, live, 2)
    start_on_page(page)  # a new PC knows nothing of the paper; the server continues it
    page.wait_for_selector("#exam-view:visible #q-options .option", timeout=WAIT_MS)
    assert page.locator("#grid .cell.answered").count() == 3
    changed = {n: answer(page, n, 3) for n in range(3)}
    for n in range(3):
        goto_question(page, n)
        wait_text(page, "#save-state", "Tersimpan")
    assert sorted(o for o, _f in stored(live, 2).values()) == sorted(changed.values())


def test_locked_and_paused_survive_a_reload_and_continue_without_start(
    sqlite_server: LiveServer, contexts: Any
) -> None:
    live = sqlite_server
    page = contexts().new_page()
    start(page, live, 3)
    answer_saved(page, 0, 1)
    p = proctor(live)
    try:
        cid = candidate_id(live, 3)
        assert p.call("lock", {"room": p.room, "candidate": cid, "reason": "phone on desk"})["ok"]
        wait_text(page, "#hold-title", "Ujian dikunci")
        page.reload()
        wait_text(page, "#hold-title", "Ujian dikunci")
        assert page.locator("#start-button").is_hidden() and page.locator("#exam-view").is_hidden()
        assert text(page, "#start-error") == ""
        shot(page, "locked-after-reload-id.png")
        assert p.call("unlock", {"room": p.room, "candidate": cid, "reason": "phone handed in"})["ok"]
        page.wait_for_selector("#exam-view:visible #q-options .option", timeout=WAIT_MS)
        assert "answered" in (page.locator("#grid .cell").nth(0).get_attribute("class") or "")
        answer_saved(page, 1, 2)

        assert p.call("pause_room", {"room": p.room, "reason": "power cut"})["ok"]
        wait_text(page, "#hold-title", "Ujian dijeda")
        page.reload()
        wait_text(page, "#hold-title", "Ujian dijeda")
        assert page.locator("#start-button").is_hidden() and page.locator("#exam-view").is_hidden()
        shot(page, "paused-after-reload-id.png")
        assert p.call("resume_room", {"room": p.room, "reason": "power back"})["ok"]
        page.wait_for_selector("#exam-view:visible #q-options .option", timeout=WAIT_MS)
        answer_saved(page, 2, 0)
    finally:
        p.close()
    assert len([o for o, _f in stored(live, 3).values() if o is not None]) == 3


def wait_disconnected(live: LiveServer, i: int, timeout: float = 20.0) -> None:
    """Until the server has noted that candidate ``i``'s page is gone (a condition, polled)."""
    wait_until(lambda: paper_of(live, i).connected_sid is None, timeout,
               "the server still counts the closed page as connected")


def test_a_stale_change_shows_what_the_server_holds(sqlite_server: LiveServer, contexts: Any) -> None:
    live = sqlite_server
    first = contexts()
    page = first.new_page()
    start(page, live, 6)
    answer_saved(page, 0, 0)
    go_offline(first, page)
    answer(page, 0, 1)  # seq 2, kept on this PC only
    wait_text(page, "#exam-view .queue-state", "1 perubahan menunggu dikirim")
    page.close()  # the browser crashes while offline

    release(live, 6, "spare PC")
    newer = answer_on_spare_pc(contexts, live, 6, 0, 2)  # the spare PC continues the server's sequence: seq 2 too

    # back on the first PC: the candidate logs in, the crashed page's queue is replayed, the server says "stale"
    first.set_offline(False)
    page = first.new_page()
    login(page, live, 6)
    page.wait_for_selector("#exam-view:visible #q-options .option", timeout=WAIT_MS)
    goto_question(page, 0)
    wait_text(page, "#save-state", "Jawaban yang lebih baru sudah tersimpan di server")
    assert page.locator("#q-options input:checked").get_attribute("value") == newer, "the server's answer is shown"
    assert page.locator("#exam-view .queue-state").inner_text() == "Semua perubahan tersimpan di server"
    shot(page, "stale-answer-id.png")
    assert [o for o, _f in stored(live, 6).values()] == [newer]


def test_a_page_taken_over_reports_its_unsent_changes_and_never_replays_them(
    sqlite_server: LiveServer, contexts: Any
) -> None:
    live = sqlite_server
    first = contexts()
    page = first.new_page()
    start(page, live, 9)
    kept = answer_saved(page, 0, 0)
    go_offline(first, page)
    answer(page, 1, 1)
    wait_text(page, "#exam-view .queue-state", "1 perubahan menunggu dikirim")

    release(live, 9, "cable broken")
    later = answer_on_spare_pc(contexts, live, 9, 2, 2)

    # the first PC's page comes back online: its login was taken over, so it says what it could not send
    first.set_offline(False)
    page.wait_for_selector("#login-view:visible", timeout=WAIT_MS)
    wait_text(page, "#login-error", "1 perubahan yang dibuat di komputer ini belum sampai ke server")
    shot(page, "taken-over-id.png")
    assert page.input_value("#pin") == "" and text(page, "#who") == "", "no one's PIN or name left on screen"
    # and logging in there again later replays nothing over what the spare PC saved
    login(page, live, 9)
    page.wait_for_selector("#exam-view:visible #q-options .option", timeout=WAIT_MS)
    cells = page.locator("#grid .cell")
    assert page.locator("#grid .cell.answered").count() == 2
    assert "answered" not in (cells.nth(1).get_attribute("class") or "")
    assert page.locator("#exam-view .queue-state").is_hidden()
    assert sorted(o for o, _f in stored(live, 9).values()) == sorted([kept, later])


def test_changes_still_waiting_when_time_runs_out_are_reported_not_saved(
    sqlite_server: LiveServer, contexts: Any
) -> None:
    live = sqlite_server
    context = contexts()
    page = context.new_page()
    start(page, live, 7)
    kept = answer_saved(page, 0, 0)
    go_offline(context, page)
    answer(page, 1, 1)
    answer(page, 2, 1)
    wait_text(page, "#exam-view .queue-state", "2 perubahan menunggu dikirim")
    live.advance_clock(31 * 60)  # the deadline passes while the PC is offline: the server closes the paper
    assert paper_of(live, 7).finish_reason == "time_up"
    context.set_offline(False)
    page.wait_for_selector("#result-view:visible", timeout=WAIT_MS)
    assert text(page, "#ended-reason") == "Waktu habis."
    wait_text(page, "#banner", "sebelum 2 perubahan sampai ke server: perubahan itu tidak tersimpan")  # said
    assert [o for o, _f in stored(live, 7).values()] == [kept]
    page.reload()  # nothing is replayed into a closed paper, and the notice is not repeated
    page.wait_for_selector("#result-view:visible", timeout=WAIT_MS)
    assert page.locator("#banner").is_hidden()


def test_without_browser_storage_the_page_says_changes_live_only_in_the_page(
    sqlite_server: LiveServer, contexts: Any
) -> None:
    live = sqlite_server
    context = contexts()
    # as in a locked-down browser profile: opening IndexedDB throws
    context.add_init_script("IDBFactory.prototype.open = () => { throw new DOMException('denied', 'SecurityError'); };")
    page = context.new_page()
    start(page, live, 8)
    go_offline(context, page)
    chosen = answer(page, 0, 3)
    assert text(page, "#save-state") == "Belum terkirim", "no claim that it is kept on this computer"
    wait_text(page, "#banner", "1 perubahan yang belum terkirim hanya ada di halaman ini: jangan tutup")
    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)  # closing the tab asks first; dismissed, the page stays
    assert asked.value.type == "beforeunload"
    asked.value.dismiss()
    assert not page.is_closed()
    context.set_offline(False)
    wait_text(page, "#save-state", "Tersimpan")
    assert [o for o, _f in stored(live, 8).values()] == [chosen]


def test_a_server_restart_loses_nothing_and_rapid_changes_keep_their_order(
    sqlite_server: LiveServer, contexts: Any
) -> None:
    live = sqlite_server
    page = contexts().new_page()
    start(page, live, 10)
    goto_question(page, 4)
    options = page.locator("#q-options .option")
    ids = [options.nth(k).locator("input").get_attribute("value") for k in range(4)]
    for k in (0, 1, 2, 3, 1):  # as fast as the page takes clicks; each is stored, sent and acked in order
        options.nth(k).click()
    page.wait_for_selector(f"#q-options input[value='{ids[1]}']:checked")
    wait_text(page, "#save-state", "Tersimpan")
    assert [o for o, _f in stored(live, 10).values()] == [ids[1]]

    live.kill()  # a power cut of the server: the page queues meanwhile
    wait_text(page, "#banner", "Koneksi terputus")
    waiting = [answer(page, n, 2) for n in (5, 6)]
    flag(page, 6)
    wait_text(page, "#exam-view .queue-state", "3 perubahan menunggu dikirim")
    live.start()
    wait_text(page, "#exam-view .queue-state", "Semua perubahan tersimpan di server")
    got = stored(live, 10)
    assert sorted(o for o, _f in got.values()) == sorted([ids[1], *waiting])
    assert [f for _o, f in got.values()].count(True) == 1
