"""The portal in headless Chromium (issue 17): an applicant registers, verifies with the code from the server's log
(the log sender), fills the profile, chooses a formation, has a wrongly typed file refused with the reason, uploads,
submits and downloads the summary; a verifier signs in, opens the application and marks the photo not met with a
reason; the committee, in the console, adds a formation (a taken code refused) and announces the MS/TMS list; the
applicant sees the result and objects (sanggah) with an attachment; the committee downloads it and accepts, then
announces the final list, downloaded from the portal's public announcement page; exported into the demo exam, the
applicant downloads the exam card, logs in on the candidate page with its PIN and sits the exam.
axe-core: 0 WCAG 2.1 AA violations on every portal, verifier and console page, in Indonesian and in English."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from ground import clock, db, zones
from ground.models import Room
from ground.staff.accounts import create_staff
from tests.live import ROOT, LiveServer, finish_on_page, log_in_on_page, start_on_page, wait_until
from tests.proctor.clients import sign_in_on_page
from tests.registration.factory import PASSWORD, WOMAN, jpeg, make_recruitment, pdf

pytestmark = pytest.mark.browser
SHOTS = ROOT / "test-output"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """() => axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
  .then((r) => r.violations.map((v) => ({id: v.id, help: v.help, nodes: v.nodes.slice(0, 4).map((n) => n.html)})))"""
VERIFIER = ("verifikator1", "verifikasi-berkas-1")


def axe_clean(page: Any, where: str) -> None:
    """axe-core on the page as it is now, evaluated by the test (the page's CSP stays as served)."""
    assert AXE.exists(), "axe-core is a devDependency in package.json: run make vendor (npm install)"
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(AXE_RUN)
    assert violations == [], f"{where}: {violations}"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def code_from_log(live: LiveServer) -> str:
    """The last verification code the log sender wrote to the server's log."""
    found: list[str] = []

    def logged() -> bool:
        found[:] = re.findall(r"Kode pendaftaran CAT Anda (\d{6})", live.log.read_text(errors="replace"))
        return bool(found)

    wait_until(logged, 10, "the log sender wrote no code")
    return found[-1]


def test_an_applicant_registers_uploads_submits_and_a_verifier_marks(
    sqlite_server: LiveServer, browser: Any, page_errors: list[str]
) -> None:
    live = sqlite_server
    with db.session_scope(live.db_url) as s:
        make_recruitment(s)
        create_staff(s, *VERIFIER, "verifier", display_name="Verifikator Satu")

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    page.goto(live.url + "/daftar/?lang=id")
    assert "Seleksi CPNS Kementerian Contoh 2026" in page.locator("main").inner_text()
    axe_clean(page, "home")
    shot(page, "registration-home.png")
    page.click("#to-register")
    axe_clean(page, "register")
    page.fill("#nik", WOMAN[0])
    page.fill("#name", WOMAN[1])
    page.fill("#birth_date", "1992-05-16")  # one day off the NIK
    page.fill("#login", "siti.rahmawati@contoh.id")
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.click("#register")
    assert page.locator("#error").inner_text() == "NIK tidak sesuai dengan tanggal lahir."
    axe_clean(page, "register refused")
    page.fill("#birth_date", "1992-05-15")
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.click("#register")
    page.wait_for_selector("#verify-form")
    axe_clean(page, "verify")
    page.fill("#code", code_from_log(live))
    page.click("#verify")
    page.wait_for_selector("#profile-form")
    assert page.locator("#p-name").inner_text() == WOMAN[1]
    page.fill("#education", "S1 Ilmu Pemerintahan")
    page.click("#save-profile")
    page.wait_for_selector(".notice")
    axe_clean(page, "account")
    shot(page, "registration-account.png")

    page.click("#apply-CPNS-2026")
    page.wait_for_selector("#formation-form")
    axe_clean(page, "apply")
    page.check("#c-AK-01-general")  # the demo exam grades the general path only
    page.click("#save-formation")
    assert page.locator("#notice").inner_text() == "Formasi disimpan."
    page.set_input_files("#file-foto", {"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": pdf()})
    page.click("#upload-foto")
    assert page.locator("#error").inner_text() == "Pas foto harus berupa berkas JPEG; berkas ini bukan."
    axe_clean(page, "upload refused")
    shot(page, "registration-upload-refused.png")
    page.set_input_files("#file-ijazah", {"name": "ijazah.pdf", "mimeType": "application/pdf",
                                          "buffer": pdf("Ijazah Sarjana Ilmu Pemerintahan")})
    page.click("#upload-ijazah")
    page.wait_for_selector("#notice")
    page.set_input_files("#file-foto", {"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": jpeg()})
    page.click("#upload-foto")
    assert page.locator("#req-foto .ok").inner_text() == "Sudah diunggah"
    page.goto(live.url + "/daftar/r/CPNS-2026?lang=en")
    axe_clean(page, "apply in English")
    assert "Submit application" in page.locator("#submit").inner_text()
    page.goto(live.url + "/daftar/r/CPNS-2026?lang=id")
    page.check("#confirm")
    page.click("#submit")
    page.wait_for_selector("#submitted")
    assert page.locator('input[type="file"]').count() == 0, "a submitted application is frozen"
    axe_clean(page, "submitted")
    shot(page, "registration-submitted.png")
    with page.expect_download() as download:
        page.click("#summary")
    assert download.value.suggested_filename == "resume-CPNS-2026.pdf"
    assert open(download.value.path(), "rb").read(4) == b"%PDF"

    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    staff.on("pageerror", lambda exc: page_errors.append(str(exc)))
    staff.goto(live.url + "/verifikasi/?lang=id")
    assert "/staff/login" in staff.url
    staff.fill("#username", VERIFIER[0])
    staff.fill("#password", VERIFIER[1])
    staff.click("#sign-in")
    staff.wait_for_selector("table.grid")
    axe_clean(staff, "queue")
    shot(staff, "verification-queue.png")
    staff.click("table.grid a")
    staff.wait_for_selector("#req-foto")
    assert WOMAN[0] in staff.locator("main").inner_text()
    loaded = "img => img.complete ? img.naturalWidth : new Promise((ok) => { img.onload = () => ok(img.naturalWidth) })"
    assert staff.locator("#req-foto img.preview").evaluate(loaded) == 120  # the photo, once it has loaded
    axe_clean(staff, "application")
    staff.fill("#reason-foto", "Latar belakang foto bukan merah")
    staff.click("#notmet-foto")
    staff.wait_for_selector("#mark-foto")
    staff.click("#met-ijazah")
    staff.wait_for_selector("#mark-ijazah")
    assert staff.locator("#result strong").inner_text() == "TMS"
    assert "Latar belakang foto bukan merah" in staff.locator("#mark-foto").inner_text()
    axe_clean(staff, "application marked")
    shot(staff, "verification-marked.png")

    page.reload()
    assert "Hasil: tidak memenuhi syarat (TMS)." in page.locator("#submitted").inner_text()
    assert "Latar belakang foto bukan merah" in page.locator("#req-foto").inner_text()
    shot(page, "registration-result.png")

    # the committee, in the console, adds a formation and announces (signed list, half an hour to object); the
    # applicant objects with an attachment; the committee reads it beside the application and accepts; once the window
    # closed it announces the final list, published signed on the portal's public announcement page
    committee = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    committee.on("pageerror", lambda exc: page_errors.append(str(exc)))
    sign_in_on_page(committee, live, "committee", "/committee/recruitments/CPNS-2026?lang=id")
    committee.wait_for_selector("#formation-add")
    assert committee.locator("#nav-recruitments").get_attribute("aria-current") == "page"
    committee.fill("#f-code", "AK-01")
    committee.fill("#f-name", "Pranata Komputer Ahli Muda")
    committee.fill("#f-quota", "2")
    committee.click("#formation-save")
    assert committee.locator("#rec-error").inner_text() == "Formasi AK-01 sudah ada."
    assert committee.locator("#f-name").input_value() == "Pranata Komputer Ahli Muda"  # kept to correct
    committee.fill("#f-code", "PK-03")
    committee.click("#formation-save")
    committee.wait_for_selector("#formation-PK-03")
    committee.click("#state-TMS")
    assert "CPNS-2026-" in committee.locator("#application-list").inner_text()
    axe_clean(committee, "console recruitment")
    until = zones.local(clock.now() + timedelta(minutes=30), "WIB", "%Y-%m-%dT%H:%M").split()[0]
    committee.fill("#objections-until", until)
    committee.click("#announce-result-button")
    committee.wait_for_selector("#announced-result")
    shot(committee, "console-recruitment.png")
    page.reload()
    axe_clean(page, "objection form")
    page.fill("#objection-text", "Foto saya berlatar merah sesuai ketentuan.")
    page.set_input_files("#objection-file", {"name": "foto-asli.jpg", "mimeType": "image/jpeg", "buffer": jpeg()})
    page.click("#object")
    page.wait_for_selector("#objection")
    assert "Panitia belum menjawab." in page.locator("#objection").inner_text()
    assert page.locator("#objection-attached").count() == 1
    committee.goto(staff.url)
    committee.wait_for_selector("#answer-form")
    with committee.expect_download() as download:
        committee.click("#objection-attachment")
    assert open(download.value.path(), "rb").read(3) == b"\xff\xd8\xff"
    axe_clean(committee, "objection to answer")
    committee.fill("#answer", "Diperiksa ulang: foto memenuhi ketentuan.")
    committee.click("#accept")
    committee.wait_for_selector("#answered")
    assert committee.locator("#result strong").inner_text() == "MS"
    shot(committee, "verification-objection-accepted.png")
    page.reload()
    assert "Hasil: memenuhi syarat (MS)." in page.locator("#submitted").inner_text()
    assert "Diterima: Diperiksa ulang" in page.locator("#objection").inner_text()
    axe_clean(page, "objection answered")
    shot(page, "registration-objection-accepted.png")
    live.advance_clock(3600)  # the objection window closed
    committee.goto(live.url + "/committee/recruitments/CPNS-2026")
    committee.click("#announce-final-button")
    committee.wait_for_selector("#announced-final")
    public = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    public.on("pageerror", lambda exc: page_errors.append(str(exc)))
    public.goto(live.url + "/daftar/?lang=id")
    public.click("#to-announcements")
    public.wait_for_selector("#ann-CPNS-2026-final")
    axe_clean(public, "announcements")
    shot(public, "registration-announcements.png")
    with public.expect_download() as download:
        public.click("#dl-CPNS-2026-final-pdf")
    assert download.value.suggested_filename == "seleksi-CPNS-2026-final.pdf"
    assert open(download.value.path(), "rb").read(4) == b"%PDF"
    public.goto(live.url + "/daftar/pengumuman?lang=en")
    axe_clean(public, "announcements in English")

    # into the exam: the committee exports the eligible into the demo room and issues papers; the applicant downloads
    # the exam card, logs in on the candidate page with its PIN and sits the exam
    with db.session_scope(live.db_url) as s:
        room = s.scalar(select(Room).where(Room.code == "DEMO-R1"))
        room.capacity = (room.capacity or 0) + 5
    live._cli("recruitment", "export", "CPNS-2026", "--exam", live.creds["exam"], "--room", "DEMO-R1",
              "--pins", str(live.data_dir / "pins-registration.csv"))
    live._cli("exam", "issue", live.creds["exam"])
    page.reload()
    with page.expect_download() as download:
        page.click("#card")
    card = open(download.value.path(), "rb").read().decode("latin-1")
    number = re.search(r"\(: (R\d{8})\) Tj", card).group(1)  # type: ignore[union-attr]
    pin = re.search(r"\((\d{6})\) Tj", card).group(1)  # type: ignore[union-attr]
    exam = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
    exam.on("pageerror", lambda exc: page_errors.append(str(exc)))
    log_in_on_page(exam, live.url + "/?lang=id", {"participant_no": number, "pin": pin,
                                                   "room_token": live.creds["room_token"]})
    exam.wait_for_selector("#start-button:visible")
    assert exam.locator("#start-name").inner_text() == WOMAN[1]
    start_on_page(exam)
    exam.wait_for_selector("#q-options .option")
    exam.locator("#q-options .option").nth(0).click()
    shot(exam, "registration-candidate-started.png")
    finish_on_page(exam)
    exam.wait_for_selector("#result-view:visible")
    shot(exam, "registration-candidate-finished.png")
    mine = page.request.get(live.url + "/daftar/account/data.json")
    assert "applications" in mine.json(), mine.text()
    history = mine.json()["applications"][0]["exam"]
    assert history["participant_no"] == number and history["scores"]["total"] is not None  # the person's history
