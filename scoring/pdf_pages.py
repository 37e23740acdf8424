"""A long announcement table laid out page by page: each page's rows are a reportlab table of their own, headed once
at the top of the page.

One reportlab Table of a whole formation re-measures every row left in it at each page break (20,000 rows: 45 s);
fixed chunks of rows are linear but put a chunk's header row in the middle of a page. Here every row's height is
known up front (measured once per kind of row), so a page takes exactly the rows that fit under its header.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate
from typing import Any

from reportlab.platypus import Flowable, Paragraph, Table

MakeTable = Callable[[list[list[Any]]], Table]  # rows (the header row first) → a styled table


class PagedTable(Flowable):  # type: ignore[misc]
    """``rows`` under ``header``, split where a page ends into tables headed by ``header``."""

    def __init__(self, header: list[Any], rows: list[list[Any]], make: MakeTable, room: list[float],
                 measured: tuple[float, list[float]] | None = None, start: int = 0) -> None:
        """``room``: each column's width for its text (the column less the cell's padding), in points."""
        super().__init__()
        self.header, self.rows, self.make, self.room, self.start = header, rows, make, room, start
        self.hAlign = "LEFT"
        self.measured = measured or measure(header, rows, make, room)
        self.whole: Table | None = None

    def _left(self) -> float:
        """The height of the header and the rows from ``start`` on."""
        head, tops = self.measured
        return head + tops[-1] - tops[self.start]

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        """Its whole height: where it fits, it is drawn as one table."""
        self.whole, self.avail_width = None, avail_width
        return self.avail_width, self._left()

    def split(self, avail_width: float, avail_height: float) -> list[Any]:
        """The rows that fit under the header in ``avail_height`` as a table, then the rest as another PagedTable;
        nothing when not even one row fits (the frame moves to the next page)."""
        head, tops = self.measured
        end = bisect_right(tops, tops[self.start] + avail_height - head) - 1  # rows [start, end) fit
        if end <= self.start:
            return []
        page = self.make([self.header, *self.rows[self.start : end]])
        if end >= len(self.rows):
            return [page]
        return [page, PagedTable(self.header, self.rows, self.make, self.room, self.measured, end)]

    def draw(self) -> None:
        """All of it on this page (it fitted)."""
        if self.whole is None:
            self.whole = self.make([self.header, *self.rows[self.start :]])
            self.whole.wrapOn(self.canv, self.avail_width, self._left())
        self.whole.drawOn(self.canv, 0, 0)


def measure(header: list[Any], rows: list[list[Any]], make: MakeTable,
            room: list[float]) -> tuple[float, list[float]]:
    """The header row's height and the running total of the rows' heights (``tops[i]``: above row ``i``).

    A row's height depends only on how many lines each of its cells takes: measured by a real table once per such
    shape (a plain row, a row with a name of two lines, ...), not once per row."""
    head = height_of(make, [header])
    height_by_shape: dict[tuple[int, ...], float] = {}
    heights = []
    for row in rows:
        shape = tuple(lines(c, w) for c, w in zip(row, room, strict=True))
        if shape not in height_by_shape:
            height_by_shape[shape] = height_of(make, [header, row]) - head
        heights.append(height_by_shape[shape])
    return head, [0.0, *accumulate(heights)]


def lines(cell: Any, room: float) -> int:
    """How many lines a cell takes: 1 for plain text, a Paragraph's lines in its column."""
    if not isinstance(cell, Paragraph):
        return 1
    cell.wrap(room, 1e9)
    return len(cell.blPara.lines)


def height_of(make: MakeTable, rows: list[list[Any]]) -> float:
    """The height reportlab gives ``rows`` as one table."""
    return float(make(rows).wrap(0, 1e9)[1])
