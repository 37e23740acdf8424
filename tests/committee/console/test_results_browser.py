"""The results pages in headless Chromium (issue 16): from a finished exam (seeded by the test) through the results,
an annulment previewed then confirmed, the rankings with the tie-break chain, to the signed SKD announcement
downloaded and verified; an objection filed by a candidate (card number, PIN, a PDF) on /sanggah, read and accepted
by the committee, carried out by an annulment previewed first, the signed pasca-sanggah announcement verified on
/verify; SKB scores, the final selection, onboarding with its signed cohort list, item analysis inside the console;
axe-core: 0 WCAG 2.1 AA violations on every page; screenshots at 1366×768 in test-output/results-*.png."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from ground import clock, db
from ground.crypto import load_signing_key
from ground.keyring import pin_pepper_for
from ground.models import Candidate, Item, ItemVersion
from ground.passwords import hash_pin
from scoring.signing import verify_file
from tests.candidate.test_candidate_screen import axe_clean
from tests.documents import pdf_words
from tests.live import ROOT, LiveServer
from tests.proctor.clients import sign_in_on_page
from tests.scoring.scoring_factory import add_candidate, make_exam

pytestmark = pytest.mark.browser
SHOTS = ROOT / "test-output"
VIEW = {"width": 1366, "height": 768}
JOB_WAIT_MS = 90_000  # a page a committee job answers: the job's process runs below the exam's CPU priority


def after_job(page: Any, selector: str) -> None:
    """The page a committee job answered: its ``selector``, or the error the page shows instead, failed at once
    with its text (not a 30 s wait for an element that will never come)."""
    page.wait_for_selector(f"{selector}, p.error[role=alert]", timeout=JOB_WAIT_MS)
    refused = page.locator("p.error[role=alert]").all_inner_texts()
    assert not refused, refused


def looked_at(page: Any, name: str) -> None:
    """axe-core clean, then the screenshot."""
    axe_clean(page, name)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"results-{name}.png"), full_page=False)


def test_results_annulment_rankings_and_signed_announcement_in_the_browser(
    sqlite_server: LiveServer, browser: Any, page_errors: list[str], tmp_path: Path
) -> None:
    live = sqlite_server
    with db.session_scope(live.db_url) as s:  # a finished exam beside the demo's
        mini = make_exam(s, "SKD-T")
        add_candidate(s, mini, "A", {"TWK": [0, 0], "TIU": [0, 1], "TKP": [0, 1]}, formation="Analis SDM", quota=1)
        add_candidate(s, mini, "E", {"TWK": [0, 1], "TIU": [0, 0], "TKP": [0, 1]}, formation="Analis SDM", quota=1)
        add_candidate(s, mini, "B", {"TWK": [0, 2], "TIU": [3, None], "TKP": [0, 0]}, formation="Analis SDM", quota=1)
        add_candidate(s, mini, "C", None, formation="Analis SDM", quota=1)
    with db.session_scope(live.db_url) as s:
        tiu1 = s.scalar(select(ItemVersion.id).join(Item).where(Item.uid == "SKD-T-TIU-1"))
        twk1 = s.scalar(select(ItemVersion.id).join(Item).where(Item.uid == "SKD-T-TWK-1"))
        s.execute(update(Candidate).where(Candidate.participant_no == "E")  # the PIN on E's card
                  .values(pin_hash=hash_pin("246810", pin_pepper_for(s))))

    page = browser.new_context(viewport=VIEW, accept_downloads=True).new_page()
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    sign_in_on_page(page, live, "committee")
    page.wait_for_url(re.compile(r".*/committee/$"))

    page.goto(live.url + "/committee/results/")  # the console home is another page's business
    page.wait_for_selector("#results-exams")
    assert page.locator("#nav-results").get_attribute("aria-current") == "page"
    looked_at(page, "index")
    page.click("#results-exams a[href='/committee/results/SKD-T']")
    after_job(page, "#results-table")
    assert [t.strip() for t in page.locator("#results-table thead th.num").all_inner_texts()][:3] == [
        "TWK", "TIU", "TKP"]
    looked_at(page, "exam")

    # annul TIU item 2: the preview shows who changes, nothing is stored until confirmed
    page.click("#annul-link")
    page.check(f"#v{tiu1}")
    page.check("input[name=mode][value=award]")
    page.fill("#annul-reason", "Dua pilihan jawaban benar")
    page.click("#annul-preview-button")
    after_job(page, "#preview-table")
    rows = page.locator("#preview-table tbody tr").all_inner_texts()
    assert any(r.split("\t")[:3] == ["A", "24", "29"] for r in rows), rows
    looked_at(page, "annul-preview")
    page.click("#annul-confirm-button")
    after_job(page, "#flash")
    assert "2" in page.locator("#flash").inner_text()
    looked_at(page, "exam-after-annulment")

    page.click("#exam-links a[href$='/rankings']")
    after_job(page, "#tie-chain")
    assert "TKP, TIU, TWK" in page.locator("#tie-chain").inner_text()
    looked_at(page, "rankings")

    page.go_back()
    page.wait_for_selector("#announce-form")
    assert page.locator("#final-link").count() == 1
    with page.expect_download(timeout=JOB_WAIT_MS) as dl:
        page.click("#announce-pdf")
    bundle = zipfile.ZipFile(io.BytesIO(Path(dl.value.path()).read_bytes()))
    bundle.extractall(tmp_path)
    pdf = tmp_path / "pengumuman-SKD-T-skd.pdf"
    assert verify_file(pdf, load_signing_key(live.data_dir).public_key()).key_id
    words = pdf_words(pdf.read_bytes())
    assert " WIB" in words and "UTC" not in words and words.index("TWK") < words.index("TIU") < words.index("TKP")

    # anyone checks it on the verify page: the signed PDF is valid, a changed copy is not
    page.click("#verify-link")
    page.set_input_files("#document", str(pdf))
    page.set_input_files("#signature", str(tmp_path / "pengumuman-SKD-T-skd.pdf.sig"))
    page.click("#verify-button")
    page.wait_for_selector("#verify-result")
    assert "SAH" in page.locator("#verify-result h2").inner_text()
    looked_at(page, "verify-valid")
    changed = tmp_path / "ubah.pdf"
    changed.write_bytes(pdf.read_bytes() + b" ")
    page.set_input_files("#document", str(changed))
    page.set_input_files("#signature", str(tmp_path / "pengumuman-SKD-T-skd.pdf.sig"))
    page.click("#verify-button")
    page.wait_for_selector("#verify-result.bad")
    looked_at(page, "verify-changed")

    # objections (sanggah): the committee opens a window; candidate E objects with the card's number and PIN and a
    # PDF; the committee reads it, accepts it, is led to the annulment preview; after the window the signed
    # pasca-sanggah announcement, checked on the verify page
    page.goto(live.url + "/committee/results/SKD-T")
    page.click("#objections-link")
    page.wait_for_selector("#window-form")
    wib = timezone(timedelta(hours=7))
    page.fill("#opens", (clock.now() - timedelta(hours=1)).astimezone(wib).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#closes", (clock.now() + timedelta(hours=2)).astimezone(wib).strftime("%Y-%m-%dT%H:%M"))
    page.click("#window-button")
    page.wait_for_selector("#flash")
    assert " WIB" in page.locator("#window-now").inner_text()
    evidence = tmp_path / "bukti.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% kunci TWK nomor 2 keliru\n%%EOF\n")
    cand = browser.new_context(viewport=VIEW).new_page()
    cand.on("pageerror", lambda exc: page_errors.append(str(exc)))
    cand.goto(live.url + "/sanggah")
    cand.select_option("#exam", "SKD-T")
    cand.fill("#participant_no", "E")
    cand.fill("#pin", "246810")
    cand.fill("#reason", "Kunci jawaban TWK nomor 2 keliru; pilihan saya benar menurut UUD 1945.")
    cand.set_input_files("#attachment", str(evidence))
    cand.click("#objection-submit")
    cand.wait_for_selector("#filed")
    looked_at(cand, "objection-filed")
    page.reload()
    page.wait_for_selector("article.objection")
    oid = page.locator("article.objection").first.get_attribute("id").split("-")[1]
    with page.expect_download() as dl:
        page.click(f"#attachment-{oid}")
    assert Path(dl.value.path()).read_bytes() == evidence.read_bytes()
    looked_at(page, "objections")
    page.check(f"#accept-{oid}")
    page.fill(f"#answer-{oid}", "Kunci TWK nomor 2 memang keliru; soal dianulir untuk semua peserta.")
    page.click(f"#answer-button-{oid}")
    page.wait_for_selector(f"#decision-{oid}")
    page.click(f"#annul-for-{oid}")
    page.wait_for_selector("#annul-form")
    assert page.locator("#annul-reason").input_value().startswith("Sanggahan E: Kunci TWK nomor 2")
    page.check(f"#v{twk1}")
    page.check("input[name=mode][value=award]")
    page.click("#annul-preview-button")
    after_job(page, "#preview-table")
    rows = page.locator("#preview-table tbody tr").all_inner_texts()
    assert any(r.split("\t")[:3] == ["E", "24", "29"] for r in rows), rows
    looked_at(page, "objection-annul-preview")
    page.click("#annul-confirm-button")
    after_job(page, "#flash")
    cand.goto(live.url + "/sanggah")
    cand.select_option("#status-exam", "SKD-T")
    cand.fill("#status-no", "E")
    cand.fill("#status-pin", "246810")
    cand.click("#status-submit")
    cand.wait_for_selector("#mine")
    assert "diterima" in cand.locator("#mine-decision").inner_text()
    looked_at(cand, "objection-answer")
    live.advance_clock(3 * 3600)  # the window closed
    page.goto(live.url + "/committee/results/SKD-T/objections")
    with page.expect_download(timeout=JOB_WAIT_MS) as dl:
        page.click("#pasca-pdf")
    zipfile.ZipFile(io.BytesIO(Path(dl.value.path()).read_bytes())).extractall(tmp_path)
    pasca = tmp_path / "pengumuman-SKD-T-pasca-sanggah.pdf"
    assert "PASCA SANGGAH" in pdf_words(pasca.read_bytes())
    page.goto(live.url + "/verify")
    page.set_input_files("#document", str(pasca))
    page.set_input_files("#signature", str(tmp_path / "pengumuman-SKD-T-pasca-sanggah.pdf.sig"))
    page.click("#verify-button")
    page.wait_for_selector("#verify-result")
    assert "SAH" in page.locator("#verify-result h2").inner_text()
    looked_at(page, "pasca-sanggah-verified")

    # SKB scores: a bad row seen and fixed, imported, the final selection stored
    page.goto(live.url + "/committee/results/SKD-T")
    page.click("#final-link")
    bad, good = tmp_path / "skb-salah.csv", tmp_path / "skb.csv"
    bad.write_text("participant_no,skb,ipk\nA,85,3.6\nE,180,3.2\n", encoding="utf-8")
    good.write_text("participant_no,skb,ipk\nA,85,3.6\nE,80,3.2\nB,70,\n", encoding="utf-8")
    page.set_input_files("#skb-file", str(bad))
    page.click("#skb-preview-button")
    page.wait_for_selector("#skb-problems")
    assert "baris 3, kolom skb" in page.locator("#skb-problems").inner_text()
    looked_at(page, "skb-problems")
    page.set_input_files("#skb-file", str(good))
    page.click("#skb-preview-button")
    page.wait_for_selector("#skb-preview")
    looked_at(page, "skb-preview")
    page.click("#skb-commit")
    page.wait_for_selector("#flash")
    page.click("#final-store")
    after_job(page, "#flash")
    finals = page.locator(".final-table tbody tr").all_inner_texts()  # computed in a job's process, sent back
    assert [(row.split("\t")[1], row.split("\t")[8]) for row in finals] == [
        ("A", "P/L"), ("E", "P/TL"), ("B", "P/TL")], finals  # C never sat the SKD
    looked_at(page, "final")

    # onboarding: a cohort, then one person through two milestones
    page.click("#onboarding-link")
    page.fill("#cohort", "LATSAR-1")
    page.fill("#cohort-name", "Latsar angkatan 1")
    page.fill("#milestones", "Latsar\nPelatihan di tempat kerja\nEvaluasi masa percobaan")
    page.click("#onboarding-create-button")
    page.wait_for_selector("#onboarding-records")
    looked_at(page, "onboarding")
    page.select_option("#export-cohort", "LATSAR-1")
    with page.expect_download() as dl:
        page.click("#onboarding-export-pdf")
    zipfile.ZipFile(io.BytesIO(Path(dl.value.path()).read_bytes())).extractall(tmp_path)
    cohort_pdf = tmp_path / "onboarding-SKD-T-LATSAR-1.pdf"
    assert verify_file(cohort_pdf, load_signing_key(live.data_dir).public_key()).key_id
    assert "LATSAR-1" in pdf_words(cohort_pdf.read_bytes())
    page.click("#onboarding-records a >> nth=0")
    page.wait_for_selector("#milestones-table")
    page.fill("#unit", "Dinas Pendidikan")
    page.fill("#person-mentor", "Ibu Sari")
    page.click("#assign-button")
    page.wait_for_selector("#flash")
    for n in (1, 2):
        page.fill(f"#on-{n}", f"2027-0{n + 2}-15")
        page.click(f"#done-{n}")
        page.wait_for_selector("#flash")
    assert "2027-03-15" in page.locator("#milestones-table").inner_text()
    assert "2027-04-15" in page.locator("#milestones-table").inner_text()
    looked_at(page, "onboarding-person")

    page.goto(live.url + "/committee/analysis/")
    page.wait_for_selector("#analysis-exams")
    looked_at(page, "analysis-index")
    page.click("#analysis-exams a[href='/committee/analysis/SKD-T']")
    page.wait_for_selector("#analysis-report")
    assert page.locator("#nav-analysis").get_attribute("aria-current") == "page"
    assert page.locator("#small-sample").is_visible()  # 3 papers: the figures are too noisy, and it says so
    looked_at(page, "analysis-report")
    page.goto(live.url + "/committee/results/audit")
    page.click("#audit-run")
    page.wait_for_selector("#audit-verdict")
    looked_at(page, "audit")
