"""The one escaping path: PDF paragraph text and spreadsheet cells (OWASP CSV injection)."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from ground.documents import csv_writer, pdf_plain, pdf_text, restore_cell, safe_cell, xlsx_append


def test_pdf_text_escapes_markup_and_drops_controls() -> None:
    assert pdf_text('Budi <b & <a href="x">') == 'Budi &lt;b &amp; &lt;a href="x"&gt;'
    assert pdf_plain("a\x00b\x07c\td\n") == "abc\td\n" and pdf_text(None) == "" and pdf_text(12) == "12"


@pytest.mark.parametrize("value", ["=1+1", "+62 8", "-A1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("x")', "-1+2"])
def test_formula_like_text_is_neutralised_and_restored(value: str) -> None:
    assert safe_cell(value) == "'" + value and restore_cell(safe_cell(value)) == value


@pytest.mark.parametrize("value", [-1, -2.5, "-1", "+3,5", "-0.25e3", "-", "", "Budi", "'quoted", None])
def test_numbers_and_plain_text_stay(value: object) -> None:
    assert safe_cell(value) == value


def test_csv_writer_and_xlsx_append() -> None:
    buf = io.StringIO()
    csv_writer(buf, lineterminator="\n").writerows([["=x", -1, "ok"]])
    assert buf.getvalue() == "'=x,-1,ok\n"
    ws = Workbook().active
    xlsx_append(ws, ["=x", -1, "ok"])
    assert [c.data_type for c in ws[1]] == ["s", "n", "s"] and ws["A1"].value == "=x" and ws["A1"].quotePrefix
