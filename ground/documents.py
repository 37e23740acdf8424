"""Text that goes into a document the project writes: PDFs (reportlab) and CSV/XLSX cells (spreadsheets).

Names, reasons and titles come from candidates, proctors and imported files. Every PDF paragraph passes them
through :func:`pdf_text` (reportlab parses paragraphs as markup: ``Budi <b`` raised, ``<font size=30>`` rendered)
and every spreadsheet cell through :func:`safe_cell` (OWASP CSV injection: ``=HYPERLINK(…)`` must stay text).
"""

from __future__ import annotations

import csv
import re
from typing import IO, Any
from xml.sax.saxutils import escape

# C0 controls (but tab and newline) and DEL: invisible in print, and some break reportlab's parser
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# a spreadsheet reads a cell starting with one of these as a formula (or, for tab and CR, shifts it into one)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def pdf_plain(value: Any) -> str:
    """Text for a canvas ``drawString``: any value as text, without control characters (never parsed)."""
    return _CONTROL.sub("", "" if value is None else str(value))


def pdf_text(value: Any) -> str:
    """Text for a reportlab ``Paragraph``: shown literally, never read as markup (``<``, ``>``, ``&`` escaped)."""
    return escape(pdf_plain(value))


def formula_like(text: str) -> bool:
    """Whether a spreadsheet would take this text for a formula (a plain signed number like ``-1.5`` is not)."""
    if text in ("-", "+") or _PLAIN_NUMBER.fullmatch(text):
        return False  # a lone dash (an empty score) or a signed number is not a formula
    return text.startswith(FORMULA_STARTS)


def safe_cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs: formula-like text gets a leading ``'``; numbers stay numbers."""
    if isinstance(value, str) and formula_like(value):
        return "'" + value
    return value


def restore_cell(value: str) -> str:
    """The text :func:`safe_cell` was given, for reading back a CSV the project wrote (PIN lists)."""
    if value.startswith("'") and formula_like(value[1:]):
        return value[1:]
    return value


def safe_row(row: list[Any] | tuple[Any, ...]) -> list[Any]:
    """:func:`safe_cell` over a row."""
    return [safe_cell(v) for v in row]


class SafeCsvWriter:
    """``csv.writer`` whose every cell goes through :func:`safe_cell` (the one way the project writes CSV)."""

    def __init__(self, fh: IO[str], **kwargs: Any) -> None:
        self._writer = csv.writer(fh, **kwargs)

    def writerow(self, row: list[Any] | tuple[Any, ...]) -> None:
        """Write one row, neutralised."""
        self._writer.writerow(safe_row(row))

    def writerows(self, rows: Any) -> None:
        """Write many rows, neutralised."""
        for row in rows:
            self.writerow(row)


def csv_writer(fh: IO[str], **kwargs: Any) -> SafeCsvWriter:
    """A CSV writer that neutralises formula-like cells (``csv.writer`` arguments)."""
    return SafeCsvWriter(fh, **kwargs)


def xlsx_append(ws: Any, row: list[Any] | tuple[Any, ...]) -> None:
    """Append a row to an openpyxl sheet; formula-like text is written as a string cell with Excel's quote prefix.

    The value stays exactly as given (no visible ``'``): the cell is typed ``s`` (never ``f``) and carries
    ``quotePrefix``, so Excel keeps it text even when someone edits it.
    """
    ws.append(list(row))
    if not any(isinstance(v, str) and formula_like(v) for v in row):
        return
    for cell, value in zip(ws[ws.max_row], row, strict=False):
        if isinstance(value, str) and formula_like(value):
            cell.data_type = "s"
            cell.quotePrefix = True
