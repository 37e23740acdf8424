"""Every user-facing string has its Bahasa Indonesia translation (the default locale), once."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from exam_engine.packages import PACKAGES

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "ground" / "translations" / "id" / "LC_MESSAGES" / "messages.po"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2"), ("**/templates/**.html", "jinja2")]


def test_catalog_has_no_duplicates_and_no_empty_translations() -> None:
    ids = [line for line in PO.read_text(encoding="utf-8").splitlines() if line.startswith("msgid ")]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="id")
    empty = [m.id for m in catalog if m.id and not m.string]
    assert not empty, empty


def test_every_translatable_string_is_in_the_catalog() -> None:
    with PO.open("rb") as fh:
        known = {m.id for m in read_po(fh, locale="id") if m.id}
    missing = {}
    for package in (*PACKAGES, "exam_engine"):
        for filename, lineno, message, _comments, _ctx in extract_from_dir(
            ROOT / package, method_map=METHODS, keywords={"_": None, "gettext": None, "lazy_gettext": None}
        ):
            text = message if isinstance(message, str) else message[0]
            if text and text not in known:
                missing.setdefault(text, f"{package}/{filename}:{lineno}")
    assert not missing, missing
