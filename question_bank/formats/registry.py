"""Which formats exist, and which one a file is, judged from its content."""

from __future__ import annotations

import io
import re
import zipfile
from functools import lru_cache
from pathlib import Path

from ground.i18n import _
from question_bank.formats import FormatError, Reader


@lru_cache(maxsize=1)
def readers() -> dict[str, Reader]:
    """Every reader by format name (imported on first use so the package stays cheap to import)."""
    from question_bank.formats import aiken, gift, json_format, moodle_xml, qti, tabular  # noqa: F401

    return {
        "json": json_format.read_json,
        "yaml": json_format.read_yaml,
        "csv": tabular.read_csv,
        "xlsx": tabular.read_xlsx,
        "qti": qti.read_qti,
        "gift": gift.read_gift,
        "aiken": aiken.read_aiken,
        "moodle": moodle_xml.read_moodle_xml,
    }


FORMATS = ("json", "yaml", "csv", "xlsx", "qti", "gift", "aiken", "moodle")

# a file name that says the format; .xml, .zip, .xlsx and .txt are decided by their content
_BY_EXTENSION = {
    ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".tsv": "csv", ".gift": "gift",
    ".aiken": "aiken",
}  # fmt: skip
_XML_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]")
_AIKEN_ANSWER = re.compile(r"^\s*ANSWER\s*:\s*[A-Za-z]\s*$", re.M)
_AIKEN_OPTION = re.compile(r"^\s*(?:[A-Za-z][.)]\s+|[A-Z][.)])\S", re.M)
_GIFT_HINT = re.compile(r"(^\s*::.+?::)|(^\s*\$CATEGORY:)|(\{[^{}]*[=~#][^{}]*\})|(\{\s*(T|F|TRUE|FALSE)\s*\})", re.M)
_CSV_HEADER = re.compile(r"(question|soal|pertanyaan)", re.I)


def _xml_root(data: bytes) -> str | None:
    text = data[:4096]
    text = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", b"", text, flags=re.S)
    m = _XML_ROOT.search(text)
    return m.group(1).decode() if m else None


def detect(data: bytes, name: str = "") -> str:
    """The format of ``data``: binary signature, then the file's extension, then a table header, then content."""
    label = name or "file"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile as exc:
            raise FormatError(_("%(label)s: a damaged zip file (%(exc)s)", label=label, exc=exc)) from exc
        if "imsmanifest.xml" in names or any(n.lower().endswith("/imsmanifest.xml") for n in names):
            return "qti"
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise FormatError(
            _("%(label)s: a zip that is neither a QTI content package (imsmanifest.xml) nor an XLSX", label=label)
        )
    if data.startswith((b"\xd0\xcf\x11\xe0",)):
        raise FormatError(_("%(label)s: an old binary Excel/Word file; save it as .xlsx (or CSV) first", label=label))
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    by_name = _BY_EXTENSION.get(Path(name).suffix.lower()) if name else None
    if by_name is not None:  # a file that says what it is: its name wins over content sniffing
        return by_name
    if stripped.startswith(b"<"):
        root = _xml_root(stripped)
        if root == "quiz":
            return "moodle"
        if root in ("assessmentItem", "qti-assessment-item", "assessmentTest", "qti-assessment-test"):
            return "qti"
        if root == "manifest":
            raise FormatError(
                _("%(label)s: a bare imsmanifest.xml; import the whole content package (.zip)", label=label)
            )
        raise FormatError(
            _(
                "%(label)s: XML with root <%(root)s> is not a bank format (expected <quiz> or <assessmentItem>)",
                label=label,
                root=root,
            )
        )
    if stripped.startswith((b"{", b"[")):
        return "json"
    try:
        text = stripped[:200_000].decode("utf-8")
    except UnicodeDecodeError:
        text = stripped[:200_000].decode("cp1252", errors="replace")
    if re.search(r"^format:\s*['\"]?exam-engine-bank", text, re.M):
        return "yaml"
    first = next((ln for ln in text.split("\n") if ln.strip()), "")
    from question_bank.formats.tabular import looks_like_header

    if looks_like_header(first.strip("\r")):  # a table's header row: before any guess from the body's content
        return "csv"
    if _AIKEN_ANSWER.search(text) and _AIKEN_OPTION.search(text) and "{" not in text:
        return "aiken"
    if _GIFT_HINT.search(text):
        return "gift"
    if _CSV_HEADER.search(first) and any(d in first for d in (",", ";", "\t")):
        return "csv"
    raise FormatError(
        _(
            "%(label)s: format not recognised from its content; give --format (%(list)s)",
            label=label,
            list=", ".join(FORMATS),
        )
    )
