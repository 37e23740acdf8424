"""The console's results pages: every paper, rankings with the tie-break chain, annulment with a preview, the
signed SKD announcement as downloads, the audit check, and the item-analysis index."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from ground import db
from ground.models import AuditEvent, Candidate, Paper, Result
from ground.models.scoring import Annulment
from tests.committee.console.conftest import PASSWORD, csrf_of
from tests.scoring.scoring_factory import add_candidate, make_exam

pytestmark = pytest.mark.usefixtures("english")


def sign_in_form(app: Flask, username: str) -> tuple[FlaskClient, str, str]:
    """Sign in through the form, then read the CSRF token from the results index (not the console home, whose
    contents are another page's business)."""
    client = app.test_client()
    token = csrf_of(client.get("/staff/login").get_data(as_text=True))
    r = client.post("/staff/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)
    page = client.get("/committee/results/")
    return client, r.headers["Location"], csrf_of(page.get_data(as_text=True)) if page.status_code == 200 else ""


@pytest.fixture
def exam(db_url: str) -> str:
    """A: passes (24: TWK 10, TIU 5, TKP 9); E: passes with the same total and TKP, more TIU; B fails TIU; C absent."""
    with db.session_scope(db_url) as s:
        mini = make_exam(s)
        add_candidate(s, mini, "A", {"TWK": [0, 0], "TIU": [0, 1], "TKP": [0, 1]})
        add_candidate(s, mini, "E", {"TWK": [0, 1], "TIU": [0, 0], "TKP": [0, 1]})
        add_candidate(s, mini, "B", {"TWK": [0, 2], "TIU": [3, None], "TKP": [0, 0]})
        add_candidate(s, mini, "C", None)
        return mini.exam.code


def _codes(db_url: str) -> list[tuple[int, str | None]]:
    with db.session_scope(db_url) as s:
        return sorted((r.id, r.code) for r in s.scalars(select(Result)))


def test_results_page_lists_every_paper_in_bkn_order_and_stores_nothing(app: Flask, exam: str, db_url: str) -> None:
    client, _landed, _csrf = sign_in_form(app, "ketua")
    index = client.get("/committee/results/").get_data(as_text=True)
    assert 'href="/committee/results/" id="nav-results" aria-current="page"' in index
    assert f'href="/committee/results/{exam}"' in index and 'id="audit-link"' in index
    before = _codes(db_url)
    page = client.get(f"/committee/results/{exam}").get_data(as_text=True)
    head = page[page.index('id="results-table"'):]
    assert head.index(">TWK<") < head.index(">TIU<") < head.index(">TKP<")
    for no, code in (("A", "P/L"), ("E", "P/L"), ("B", "TL"), ("C", "TH")):
        row = head[head.index(f"<td>{no}</td>"):]
        assert f"<b>{code}</b>" in row[:row.index("</tr>")], no
    assert "TIU 0 &lt; 5" in head and "no paper" in head
    assert f'href="/committee/analysis/{exam}"' in page
    assert _codes(db_url) == before  # looking stores nothing


def test_rankings_show_quota_slots_and_why_a_tie_was_broken(app: Flask, exam: str) -> None:
    client, _landed, _csrf = sign_in_form(app, "ketua")
    page = client.get(f"/committee/results/{exam}/rankings").get_data(as_text=True)
    assert "Equal totals: the higher score decides, in this order: TKP, TIU, TWK." in page
    assert "<b>1</b>quota" in page and "<b>3</b>places in SKB" in page
    a_row = page[page.index("<td>A</td>"):]
    assert "equal total; TIU 10 above, 5 here" in a_row[:a_row.index("</tr>")]
    assert page.index("<td>E</td>") < page.index("<td>A</td>")


def test_announcement_download_is_signed_audited_and_needs_csrf(app: Flask, exam: str, db_url: str) -> None:
    client, _landed, csrf = sign_in_form(app, "ketua")
    assert client.post(f"/committee/results/{exam}/announcement", data={"format": "pdf"}).status_code in (400, 403)
    r = client.post(f"/committee/results/{exam}/announcement", data={"format": "pdf", "csrf_token": csrf})
    assert r.status_code == 200 and r.mimetype == "application/zip", r.get_data(as_text=True)[:300]
    names = zipfile.ZipFile(io.BytesIO(r.data)).namelist()
    assert names == [f"pengumuman-{exam}-skd.pdf", f"pengumuman-{exam}-skd.pdf.sig"]
    with db.session_scope(db_url) as s:
        (row,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "announcement_signed"))
        assert row.actor == "staff:ketua" and row.details["format"] == "pdf"


def test_announcement_refused_while_a_paper_is_open_in_indonesian(app: Flask, exam: str, db_url: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXAM_LOCALE", raising=False)
    with db.session_scope(db_url) as s:
        s.scalars(select(Paper)).first().state = "started"
    client, _landed, csrf = sign_in_form(app, "ketua")
    r = client.post(f"/committee/results/{exam}/announcement", data={"format": "csv", "csrf_token": csrf})
    page = r.get_data(as_text=True)
    assert r.status_code == 409 and 'id="results-error"' in page and "belum selesai" in page
    assert 'id="open-papers"' in page and "sedang mengerjakan" in page
    with db.session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action == "announcement_signed")) == 0


def test_annul_preview_changes_nothing_then_confirm_annuls_as_the_member(app: Flask, exam: str, db_url: str) -> None:
    client, _landed, csrf = sign_in_form(app, "ketua")
    form = client.get(f"/committee/results/{exam}/annul").get_data(as_text=True)
    assert f"{exam}-TIU-1 (v1)" in form
    with db.session_scope(db_url) as s:
        from ground.models import Item, ItemVersion
        tiu1 = s.scalar(select(ItemVersion.id).join(Item).where(Item.uid == f"{exam}-TIU-1"))
    bad = client.post(f"/committee/results/{exam}/annul/preview",
                      data={"version": tiu1, "mode": "award", "reason": " ", "csrf_token": csrf})
    assert bad.status_code == 400 and "Give the reason" in bad.get_data(as_text=True)
    before = _codes(db_url)
    r = client.post(f"/committee/results/{exam}/annul/preview",
                    data={"version": tiu1, "mode": "award", "reason": "two keys", "csrf_token": csrf})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "Preview: 2 of 3 results change" in page
    table = page[page.index('id="preview-table"'):]
    a_row = table[table.index("<td>A</td>"):]
    assert '<td class="num">24</td><td class="num">29</td>' in a_row[:a_row.index("</tr>")]
    with db.session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(Annulment)) == 0
    assert _codes(db_url) == before
    assert client.post(f"/committee/results/{exam}/annul",
                       data={"version": tiu1, "mode": "award", "reason": "two keys"}).status_code in (400, 403)
    done = client.post(f"/committee/results/{exam}/annul",
                       data={"version": tiu1, "mode": "award", "reason": "two keys", "csrf_token": csrf})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/committee/results/{exam}")
    assert "2 of 3 results changed" in client.get(done.headers["Location"]).get_data(as_text=True)
    with db.session_scope(db_url) as s:
        (a,) = s.scalars(select(Annulment))
        assert (a.mode, a.reason, a.actor) == ("award", "two keys", "staff:ketua")
        actors = set(s.scalars(select(AuditEvent.actor).where(AuditEvent.action.in_(("items_annulled",
                                                                                      "exam_rescored")))))
        assert actors == {"staff:ketua"}


def test_audit_check_log_and_analysis_index(app: Flask, exam: str) -> None:
    client, _landed, csrf = sign_in_form(app, "ketua")
    page = client.get("/committee/results/audit").get_data(as_text=True)
    assert 'id="audit-run"' in page and 'id="audit-verdict"' not in page
    ran = client.get(f"/committee/results/audit?run=1&exam={exam}").get_data(as_text=True)
    assert 'id="audit-verdict"' in ran and 'id="audit-lines"' in ran
    log = client.get(f"/committee/results/audit?exam={exam}&actor=staff:ketua&action=items_").get_data(as_text=True)
    assert 'id="audit-log"' in log and "No rows match." in log
    client.post(f"/committee/results/{exam}/announcement", data={"format": "csv", "csrf_token": csrf})
    log = client.get(f"/committee/results/audit?exam={exam}&action=announcement").get_data(as_text=True)
    rows = log[log.index('id="audit-log"'):]
    assert "announcement_signed" in rows and "staff:ketua" in rows and " WIB</td>" in rows
    assert "exam_rescored" not in rows
    # days in the site's zone: the announcement at 2026-12-01 16:59 UTC is 23:59 WIB that day, 00:59 WITA the next
    with db.session_scope(app.extensions["exam_engine"].db_url) as s:
        s.execute(update(AuditEvent).where(AuditEvent.action == "announcement_signed")
                  .values(at=datetime(2026, 12, 1, 16, 59, tzinfo=UTC)))
    day = f"/committee/results/audit?exam={exam}&action=announcement&from=2026-12-01&to=2026-12-01"
    assert "announcement_signed" in client.get(day).get_data(as_text=True)
    later = f"/committee/results/audit?exam={exam}&action=announcement&from=2026-12-02"
    assert "No rows match." in client.get(later).get_data(as_text=True)
    earlier = "/committee/results/audit?action=announcement&to=2026-11-30"
    assert "No rows match." in client.get(earlier).get_data(as_text=True)
    bad = client.get("/committee/results/audit?from=1-12-2026")
    assert bad.status_code == 400 and "&#39;1-12-2026&#39; is not a date" in bad.get_data(as_text=True)
    index = client.get("/committee/analysis/")
    assert index.status_code == 200 and f'href="/committee/analysis/{exam}"' in index.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/committee/results/", "/committee/results/SKD-T",
                                  "/committee/results/SKD-T/rankings", "/committee/results/SKD-T/annul",
                                  "/committee/results/audit", "/committee/analysis/"])
def test_proctors_may_not_and_strangers_sign_in_first(app: Flask, exam: str, path: str, tmp_path: Path) -> None:
    client, _landed, _csrf = sign_in_form(app, "pengawas")
    assert client.get(path).status_code == 403
    r = app.test_client().get(path)
    assert r.status_code == 302 and "/staff/login" in r.headers["Location"]


def test_long_results_and_rankings_come_in_pages_and_name_only_the_first_open_papers(
        app: Flask, exam: str, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 100,000-candidate exam on one page was 30 MB of HTML built in 19 s: pages of rows, of formations."""
    from committee.web import console_results

    monkeypatch.setattr(console_results, "RESULT_ROWS", 3)
    monkeypatch.setattr(console_results, "RANKED_FORMATIONS", 1)
    monkeypatch.setattr(console_results, "OPEN_SHOWN", 1)
    with db.session_scope(db_url) as s:  # B competes in a second formation
        s.execute(update(Candidate).where(Candidate.participant_no == "B").values(formation="Pranata"))
    client, _landed, _csrf = sign_in_form(app, "ketua")

    def rows(path: str) -> tuple[list[str], str]:
        page = client.get(path).get_data(as_text=True)
        table = page[page.index('id="results-table"'):page.index("</table>", page.index('id="results-table"'))]
        return [cell.split("</td>")[0] for cell in table.split("<tr>\n      <td>")[1:]], page

    first, page = rows(f"/committee/results/{exam}")
    assert first == ["A", "B", "C"] and "Every paper (4)" in page
    assert "Page 1 of 2 (1–3 of 4)" in page
    assert f'rel="next" href="/committee/results/{exam}?page=2"' in page and 'rel="prev"' not in page
    second, page = rows(f"/committee/results/{exam}?page=2")
    assert second == ["E"] and "Page 2 of 2 (4–4 of 4)" in page and 'rel="next"' not in page
    assert rows(f"/committee/results/{exam}?page=99")[0] == ["E"], "past the end: the last page"
    assert rows(f"/committee/results/{exam}?page=x")[0] == ["A", "B", "C"], "not a number: the first page"
    ranked = [client.get(f"/committee/results/{exam}/rankings?page={n}").get_data(as_text=True) for n in (1, 2)]
    assert ["<td>B</td>" in r for r in ranked] == [False, True] and ["<td>A</td>" in r for r in ranked] == [True, False]
    assert "Page 1 of 2 (1–1 of 2)" in ranked[0] and f'href="/committee/results/{exam}/rankings?page=2"' in ranked[0]

    with db.session_scope(db_url) as s:
        s.execute(update(Paper).values(state="started"))
    page = client.get(f"/committee/results/{exam}").get_data(as_text=True)
    assert "Papers not finished yet (3)" in page and "The first 1 are named here." in page
    named = page[page.index('id="open-papers"'):]
    assert named[:named.index("</ul>")].count("<li>") == 1
    ranked = client.get(f"/committee/results/{exam}/rankings").get_data(as_text=True)
    assert "3 paper(s) are not finished yet" in ranked
