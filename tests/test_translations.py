"""Every user-facing string has its Bahasa Indonesia translation (the default locale), once."""

from __future__ import annotations

import ast
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


def extracted() -> dict[str, str]:
    """Every msgid marked for translation in the code and templates, with where it first occurs."""
    found: dict[str, str] = {}
    for package in (*PACKAGES, "exam_engine"):
        for filename, lineno, message, _comments, _ctx in extract_from_dir(
            ROOT / package, method_map=METHODS, keywords={"_": None, "gettext": None, "lazy_gettext": None}
        ):
            text = message if isinstance(message, str) else message[0]
            if text:
                found.setdefault(text, f"{package}/{filename}:{lineno}")
    return found


def test_every_translatable_string_is_in_the_catalog() -> None:
    with PO.open("rb") as fh:
        known = {m.id for m in read_po(fh, locale="id") if m.id}
    missing = {text: where for text, where in extracted().items() if text not in known}
    assert not missing, missing


def test_every_catalog_entry_is_still_used() -> None:
    """An entry whose English no longer occurs in the code is dead (a changed msgid leaves its old entry behind).

    Python string literals count as well as extracted calls: ``_()`` inside an f-string and ``_(role)`` are not
    extracted."""
    used = set(extracted())
    for package in (*PACKAGES, "exam_engine"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            used |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    with PO.open("rb") as fh:
        unused = [m.id for m in read_po(fh, locale="id") if m.id and (m.id if isinstance(m.id, str) else m.id[0])
                  not in used]
    assert not unused, f"drop these entries from messages.po: {unused}"
