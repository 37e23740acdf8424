"""Reading score tables (CSV or XLSX) into plain rows with their sheet row numbers, for error reports.

Kept small and stable on purpose: ranking, SKB imports and item analysis all read tables through it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class TableError(ValueError):
    """A table that cannot be read at all (format, encoding, no header)."""


@dataclass(frozen=True)
class Table:
    """Header names (stripped, as written) and rows as {header: value} with their 1-based sheet row number."""

    header: list[str]
    rows: list[tuple[int, dict[str, Any]]]


def _from_records(records: list[list[Any]], source: str) -> Table:
    if not records:
        raise TableError(f"{source}: the table is empty (no header row)")
    header = [str(h).strip() if h is not None else "" for h in records[0]]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise TableError(f"{source}: the header row is empty")
    seen: set[str] = set()
    for h in header:
        if not h:
            raise TableError(f"{source}: a header cell is empty")
        if h.lower() in seen:
            raise TableError(f"{source}: column {h!r} appears twice")
        seen.add(h.lower())
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, rec in enumerate(records[1:], start=2):
        values = list(rec) + [None] * (len(header) - len(rec))
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue  # blank lines are not rows
        rows.append((number, {h: values[i] for i, h in enumerate(header)}))
    return Table(header, rows)


def read_csv_bytes(data: bytes, source: str = "table") -> Table:
    """CSV in UTF-8 (a BOM is fine), comma or semicolon separated (Excel in Indonesian locale uses ';')."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(f"{source}: not UTF-8 text ({exc})") from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return _from_records(list(csv.reader(io.StringIO(text), delimiter=delimiter)), source)


def read_xlsx_bytes(data: bytes, source: str = "table") -> Table:
    """The first worksheet of an XLSX workbook."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a bad file
        raise TableError(f"{source}: not a readable XLSX workbook ({exc})") from exc
    try:
        ws = wb.worksheets[0]
        records = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    return _from_records(records, source)


def read_table(path: str | Path) -> Table:
    """Read ``.csv`` or ``.xlsx`` by extension; :class:`TableError` for anything else."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise TableError(f"{path}: no such file")
    if suffix == ".csv":
        return read_csv_bytes(path.read_bytes(), str(path))
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx_bytes(path.read_bytes(), str(path))
    raise TableError(f"{path}: unsupported table format {suffix or '(none)'}; use .csv or .xlsx")


def cell_text(value: Any) -> str:
    """A cell as stripped text (None → ""); numbers like 12.0 from XLSX become "12"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def write_rows(path: str | Path, header: list[str], rows: list[list[Any]], title: str = "Sheet1") -> Path:
    """Write a table as ``.csv`` (UTF-8) or ``.xlsx`` by extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        return path
    if suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = title[:31]
        ws.append(header)
        for r in rows:
            ws.append(r)
        wb.save(path)
        return path
    raise TableError(f"{path}: unsupported output format {suffix or '(none)'}; use .csv or .xlsx")

