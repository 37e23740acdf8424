"""The one table reader on hostile workbooks: a lying size claim reads every row; a zip bomb is refused unread."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import Workbook

from ground.tables import TableError, read_xlsx_bytes, unpacks_too_large

pytestmark = pytest.mark.usefixtures("english")


def workbook(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rewrite(data: bytes, change: dict[str, bytes | None], add: dict[str, bytes] | None = None) -> bytes:
    """The same zip with some members' contents replaced (a function of the old bytes) and others added."""
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            dst.writestr(info.filename, change.get(info.filename, body) or body)
        for name, body in (add or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def test_a_wrong_dimension_does_not_cut_rows() -> None:
    data = workbook([["no", "name"], *[[i, f"Peserta {i}"] for i in range(1, 6)]])
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    lying = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:B1"', sheet)
    assert lying != sheet
    table = read_xlsx_bytes(rewrite(data, {"xl/worksheets/sheet1.xml": lying}), "peserta.xlsx")
    assert [number for number, _row in table.rows] == [2, 3, 4, 5, 6]
    assert table.rows[-1][1] == {"no": 5, "name": "Peserta 5"}


def test_a_zip_bomb_is_refused_before_parsing() -> None:
    data = workbook([["no"], [1]])
    bomb = rewrite(data, {}, {"xl/padding.bin": b"\0" * 80_000_000})  # 80 MB of zeros packs to ~80 KB
    assert len(bomb) < 200_000
    assert unpacks_too_large(bomb) is not None and unpacks_too_large(data) is None
    with pytest.raises(TableError, match="zip bomb"):
        read_xlsx_bytes(bomb, "bom.xlsx")  # refused from the zip's directory: nothing is unpacked


def test_not_a_zip_is_a_clear_error() -> None:
    with pytest.raises(TableError, match="not a readable XLSX"):
        read_xlsx_bytes(b"this is not a workbook", "x.xlsx")
