"""Reading score tables (CSV or XLSX) into plain rows with their sheet row numbers, for error reports.

Kept small and stable on purpose: ranking, SKB imports and item analysis all read tables through it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ground.config import write_private
from ground.documents import csv_writer, xlsx_append
from ground.i18n import _

# A workbook that claims to unpack to more than this is refused before any XML is parsed (bytes: ratio × size +
# slack; real workbooks compress text about 5–10×).
MAX_UNPACK_RATIO = 20
MAX_UNPACK_SLACK = 50_000_000


class TableError(ValueError):
    """A table that cannot be read at all (format, encoding, no header)."""


@dataclass(frozen=True)
class Table:
    """Header names (stripped, as written) and rows as {header: value} with their 1-based sheet row number."""

    header: list[str]
    rows: list[tuple[int, dict[str, Any]]]


def _from_records(records: list[list[Any]], source: str) -> Table:
    if not records:
        raise TableError(_("%(source)s: the table is empty (no header row)", source=source))
    header = [str(h).strip() if h is not None else "" for h in records[0]]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise TableError(_("%(source)s: the header row is empty", source=source))
    seen: set[str] = set()
    for h in header:
        if not h:
            raise TableError(_("%(source)s: a header cell is empty; name every column", source=source))
        if h.lower() in seen:
            raise TableError(_("%(source)s: column %(name)r appears twice", source=source, name=h))
        seen.add(h.lower())
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, rec in enumerate(records[1:], start=2):
        values = list(rec) + [None] * (len(header) - len(rec))
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue  # blank lines are not rows
        rows.append((number, {h: values[i] for i, h in enumerate(header)}))
    return Table(header, rows)


def read_csv_bytes(data: bytes, source: str = "table") -> Table:
    """CSV in UTF-8 (a BOM is fine), separated by comma, semicolon or tab (whichever the header uses most)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(
            _("%(source)s: not UTF-8 text (%(why)s); save it as CSV UTF-8", source=source, why=exc)
        ) from exc
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count) if first else ","  # Indonesian-locale Excel writes ';'

    return _from_records(list(csv.reader(io.StringIO(text), delimiter=delimiter)), source)


def unpacked_size(data: bytes) -> int:
    """What a zip container (XLSX, a bank package) claims it unpacks to, read from its directory only."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return sum(info.file_size for info in zf.infolist())


def unpacks_too_large(data: bytes) -> int | None:
    """The claimed unpacked size when it is far beyond what a real workbook of this weight holds (a zip bomb)."""
    try:
        total = unpacked_size(data)
    except (zipfile.BadZipFile, ValueError):
        return None  # not a zip: the workbook reader reports that in its own words
    return total if total > MAX_UNPACK_RATIO * len(data) + MAX_UNPACK_SLACK else None


def read_xlsx_bytes(data: bytes, source: str = "table") -> Table:
    """The first worksheet of an XLSX workbook, every real row: the sheet's own size claim is not trusted."""
    from openpyxl import load_workbook

    total = unpacks_too_large(data)
    if total is not None:
        raise TableError(
            _("%(name)s: unpacks to %(total)s bytes; refused as a possible zip bomb", name=source, total=total)
        )
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a bad file
        raise TableError(_("%(source)s: not a readable XLSX workbook (%(why)s)", source=source, why=exc)) from exc
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # a wrong <dimension> (A1:C1 on five rows) would silently cut the rows read
        records = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    return _from_records(records, source)


def read_table(path: str | Path) -> Table:
    """Read ``.csv`` or ``.xlsx`` by extension; :class:`TableError` for anything else."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise TableError(_("%(path)s: no such file", path=path))
    if suffix == ".csv":
        return read_csv_bytes(path.read_bytes(), str(path))
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx_bytes(path.read_bytes(), str(path))
    raise TableError(
        _("%(path)s: unsupported table format %(suffix)s; use .csv or .xlsx", path=path, suffix=suffix or "(none)")
    )


def cell_text(value: Any) -> str:
    """A cell as stripped text (None → ""); numbers like 12.0 from XLSX become "12"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def write_rows(path: str | Path, header: list[str], rows: list[list[Any]], title: str = "Sheet1") -> Path:
    """Write a table as ``.csv`` (UTF-8) or ``.xlsx`` by extension: formula-like text neutralised, owner-only."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        buf = io.StringIO(newline="")
        w = csv_writer(buf)
        w.writerow(header)
        w.writerows(rows)
        write_private(path, buf.getvalue().encode("utf-8"))
        return path
    if suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = title[:31]
        xlsx_append(ws, header)
        for r in rows:
            xlsx_append(ws, r)
        out = io.BytesIO()
        wb.save(out)
        write_private(path, out.getvalue())
        return path
    raise TableError(
        _("%(path)s: unsupported output format %(suffix)s; use .csv or .xlsx", path=path, suffix=suffix or "(none)")
    )

