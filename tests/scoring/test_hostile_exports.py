"""Hostile names in the signed announcement (CSV, XLSX, PDF) and the ranking: literal, no formula, signed."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from exam_engine.cli import main
from ground.crypto import load_signing_key
from ground.tables import read_csv_bytes, write_rows
from scoring.exports import write_skd
from scoring.selection import parse_score_sheet, select_entrants
from tests.documents import EMOJI_NAME, HOSTILE_NAMES, pdf_page_words, pdf_words, shows

FORMULA = '=HYPERLINK("http://x","y")'


pytestmark = pytest.mark.usefixtures("english")


def _sheet() -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["participant_no", "name", "formation", "formation_quota", "entry_path", "TWK", "TIU", "TKP"])
    for i, name in enumerate((*HOSTILE_NAMES, EMOJI_NAME), start=1):
        w.writerow([f"2026{i:06d}", name, "Analis <b> & =SUM", 2, "", 100 + i, 100, 170])
    return buf.getvalue().encode("utf-8")


def _run(data: Path, *args: str):
    return CliRunner().invoke(main, ["--data-dir", str(data), *args], catch_exceptions=False)


@pytest.mark.parametrize("fmt", ["pdf", "csv", "xlsx"])
def test_signed_announcement_keeps_hostile_names_as_text(tmp_path: Path, fmt: str) -> None:
    data = tmp_path / "inst"
    data.mkdir()
    formations = select_entrants(parse_score_sheet(read_csv_bytes(_sheet()), "skd-2024"), "skd-2024")
    out = tmp_path / f"pengumuman.{fmt}"
    write_skd(formations, ["TWK", "TIU", "TKP"], fmt, out, load_signing_key(data), "Seleksi <i>& co", "SKD-1")
    if fmt == "pdf":
        text = pdf_words(out.read_bytes())
        for name in HOSTILE_NAMES:
            assert shows(text, name), name
        assert shows(text, "Analis <b> & =SUM") and shows(text, "Seleksi <i>& co (SKD-1)")
    elif fmt == "csv":
        cells = {c for row in csv.reader(io.StringIO(out.read_text(encoding="utf-8"))) for c in row}
        assert "'" + FORMULA in cells and "'@SUM(A1)" in cells and "Budi <b" in cells
        assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for c in cells)
    else:
        ws = load_workbook(out).active
        names = {c.value: c for c in ws["G"]}
        cell = names[FORMULA]
        assert cell.data_type == "s" and cell.quotePrefix, "stored as text, not as a live formula"
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
        assert set(HOSTILE_NAMES) <= set(names)
    res = _run(data, "verify", str(out))
    assert res.exit_code == 0 and res.output.startswith("VALID"), res.output


def test_ranking_out_neutralised_and_numbers_stay_numbers(tmp_path: Path) -> None:
    scores = tmp_path / "scores.csv"
    scores.write_bytes(_sheet())
    for suffix in ("csv", "xlsx"):
        out = tmp_path / f"ranked.{suffix}"
        res = _run(tmp_path / "inst", "rank", str(scores), "--preset", "skd-2024", "--out", str(out))
        assert res.exit_code == 0, res.output
        assert _run(tmp_path / "inst", "verify", str(out)).output.startswith("VALID")
    assert "'" + FORMULA.replace('"', '""') in (tmp_path / "ranked.csv").read_text(encoding="utf-8")
    ws = load_workbook(tmp_path / "ranked.xlsx").active
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)

    table = tmp_path / "t.xlsx"
    write_rows(table, ["score", "text", "signed"], [[-1, "-1", "-2.5"], [-0.5, "=1+1", "+62 811"]])
    ws = load_workbook(table).active
    assert [c.data_type for c in ws[2]] == ["n", "s", "s"] and ws["A2"].value == -1 and ws["B2"].value == "-1"
    assert ws["B3"].value == "=1+1" and ws["B3"].data_type == "s" and ws["B3"].quotePrefix
    assert not ws["C2"].quotePrefix, "a signed number is not a formula"
    write_rows(tmp_path / "t.csv", ["score", "text"], [[-1, "-1"], [-0.5, "=1+1"]])
    assert (tmp_path / "t.csv").read_text(encoding="utf-8").splitlines() == ["score,text", "-1,-1", "-0.5,'=1+1"]


def test_item_analysis_csv_neutralises_codes_not_statistics() -> None:
    from scoring.analysis.report import to_csv

    item = {"id": "@item", "item_version_id": None, "n": 10, "p": 0.5, "point_biserial": -0.25, "corrected_r": None,
            "alpha_if_deleted": 0.7, "upper_lower": -0.1, "omit_rate": 0.0, "irt": None, "flags": [{"code": "=neg"}]}
    rows = list(csv.reader(io.StringIO(to_csv({"subtests": [{"code": "=TWK", "items": [item]}]}))))
    assert rows[1][:4] == ["'=TWK", "'@item", "", "10"] and rows[1][5] == "-0.25" and rows[1][-1] == "'=neg"


@pytest.mark.parametrize("fmt", ["pdf", "xlsx", "csv"])
def test_final_announcement_keeps_hostile_names_as_text(tmp_path: Path, fmt: str) -> None:
    from decimal import Decimal

    from scoring.exports import write_final
    from scoring.integration import FinalEntrant, FinalFormation, FinalRow

    rows = [FinalRow(FinalEntrant(f"2026{i:06d}", "Analis <b>", 1, 400.0, name=name, skb=80.0),
                     Decimal("80.000"), Decimal("80.000"), Decimal("80.000"), i, i == 1, "P/L" if i == 1 else "P/TL")
            for i, name in enumerate(HOSTILE_NAMES, start=1)]
    data = tmp_path / "inst"
    out = tmp_path / f"akhir.{fmt}"
    write_final([FinalFormation("Analis <b>", "general", 1, 1, rows)], fmt, out, load_signing_key(data), "<i>", "X")
    if fmt == "pdf":
        text = pdf_words(out.read_bytes())
        assert all(shows(text, name) for name in HOSTILE_NAMES) and shows(text, "Analis <b>")
    elif fmt == "xlsx":
        ws = load_workbook(out).active
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
        assert set(HOSTILE_NAMES) <= {c.value for c in ws["F"]}
    else:
        assert "'" + FORMULA.replace('"', '""') in out.read_text(encoding="utf-8")
    assert _run(data, "verify", str(out)).output.startswith("VALID")


def test_a_long_formation_and_a_long_name_in_the_pdf(tmp_path: Path) -> None:
    """A formation of 1,200 goes page by page, each page headed once at its top; a name longer than its column wraps
    (as markup-free text) instead of running into the scores."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["participant_no", "name", "formation", "formation_quota", "entry_path", "TWK", "TIU", "TKP"])
    long_name = "Raden Ajeng <b>Kartini</b> & Saudara-saudaranya dari Jepara yang Namanya Sangat Panjang Sekali"
    for i in range(1200):
        w.writerow([f"2026{i:06d}", long_name if i == 700 else f"Peserta {i}", "Guru", 10, "", 100, 100, 170 + i % 7])
    formations = select_entrants(parse_score_sheet(read_csv_bytes(buf.getvalue().encode()), "skd-2024"), "skd-2024")
    data = tmp_path / "inst"
    data.mkdir()
    out = tmp_path / "pengumuman.pdf"
    write_skd(formations, ["TWK", "TIU", "TKP"], "pdf", out, load_signing_key(data), "Seleksi", "SKD-1")
    text = pdf_words(out.read_bytes())
    numbers = re.findall(r"\b2026\d{6}\b", text)
    assert sorted(numbers) == [f"2026{i:06d}" for i in range(1200)], "every row once, none lost at a table's end"
    pages = pdf_page_words(out.read_bytes())
    assert len(pages) >= 25
    for n, page in enumerate(pages, start=1):  # each page of rows headed once, at its top: none mid-page
        if re.search(r"\b2026\d{6}\b", page):
            assert page.count("Nomor Peserta") == 1, (n, page[:300])
            assert page.index("Nomor Peserta") < page.index(re.search(r"\b2026\d{6}\b", page).group()), n
    assert shows(text, long_name)
    assert _run(data, "verify", str(out)).output.startswith("VALID")
