"""Hostile names for every document test, and the text a PDF really shows (poppler's ``pdftotext``)."""

from __future__ import annotations

import re
import shutil
import subprocess

from tests.conftest import need

# markup reportlab would parse, a formula a spreadsheet would run, and characters of real Indonesian names
HOSTILE_NAMES = (
    "Budi <b",
    "<font size=30>X</font>",
    '<a href="http://x">klik</a>',
    "Tom & Jerry",
    '=HYPERLINK("http://x","y")',
    "+62 811 1234",
    "@SUM(A1)",
    "Siti Nur'aini Ñoño Désirée",
)
EMOJI_NAME = "Budi 😀 Santoso"


def pdf_words(data: bytes) -> str:
    """The PDF's text with runs of white space made single spaces (a wrapped cell reads as one line)."""
    need(shutil.which("pdftotext") is not None, "PDF text not checked: apt-get install poppler-utils")
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True)
    return re.sub(r"\s+", " ", out.stdout.decode("utf-8"))


def pdf_page_words(data: bytes) -> list[str]:
    """Each page's text, as :func:`pdf_words` gives the whole document's."""
    need(shutil.which("pdftotext") is not None, "PDF text not checked: apt-get install poppler-utils")
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True)
    return [re.sub(r"\s+", " ", page) for page in out.stdout.decode("utf-8").split("\f")[:-1]]


def shows(text: str, value: str) -> bool:
    """Whether ``value`` appears literally (white space normalised) in ``text`` from :func:`pdf_words`."""
    return re.sub(r"\s+", " ", value) in text
