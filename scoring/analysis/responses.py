"""Response matrices (who answered what, what it scored) and their CSV readers, with row/column errors."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ground.i18n import _

NOT_PRESENTED = -2  # choices code: the candidate's paper did not hold this item
OMITTED = -1  # choices code: seen but left blank


class AnalysisInputError(ValueError):
    """Bad input for an analysis, pointing at the file, row and column to fix."""

    def __init__(self, message: str, *, row: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column


@dataclass(frozen=True)
class OptionInfo:
    """An answer option as analysis sees it: what the candidate saw it as and what it earns."""

    label: str
    points: float


@dataclass(frozen=True)
class ItemInfo:
    """One column of a response matrix: the item's id, its options (if known) and its maximum points."""

    id: str
    max_points: float
    options: tuple[OptionInfo, ...] = ()
    subtest: str | None = None
    item_id: int | None = None  # bank ids, set when the matrix comes from the database
    item_version_id: int | None = None

    @property
    def key_index(self) -> int | None:
        """The option with the most points (the key of a right/wrong item)."""
        if not self.options:
            return None
        return int(np.argmax([o.points for o in self.options]))


@dataclass
class ResponseMatrix:
    """Candidates × items: scores (compact dtype), optional chosen options, omissions and presentation."""

    candidate_ids: list[str]
    items: list[ItemInfo]
    scores: np.ndarray  # (n, k) points earned; uint8 when every point value is a small integer, else float32
    choices: np.ndarray | None = None  # (n, k) int8 option index, OMITTED or NOT_PRESENTED
    omitted: np.ndarray | None = None  # (n, k) bool; derived from choices when those are given
    presented: np.ndarray | None = None  # (n, k) bool; None when every candidate saw every item
    _dichotomous: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        n, k = self.scores.shape
        if len(self.candidate_ids) != n or len(self.items) != k:
            raise ValueError("candidate ids / items do not match the score matrix shape")
        if self.choices is not None and self.omitted is None:
            self.omitted = self.choices == OMITTED
        if self.presented is not None and bool(self.presented.all()):
            self.presented = None

    @property
    def n(self) -> int:
        return int(self.scores.shape[0])

    @property
    def k(self) -> int:
        return int(self.scores.shape[1])

    @property
    def max_points(self) -> np.ndarray:
        return np.array([it.max_points for it in self.items], dtype=np.float64)

    @property
    def dichotomous(self) -> np.ndarray:
        """Per item: does every score equal 0 or the item's maximum (right/wrong)?"""
        if self._dichotomous is None:
            flags = np.empty(self.k, dtype=bool)
            for j, it in enumerate(self.items):
                if it.options:
                    flags[j] = all(o.points in (0.0, it.max_points) for o in it.options)
                else:
                    col = self.scores[:, j]
                    flags[j] = bool(np.all((col == 0) | (col == it.max_points)))
            self._dichotomous = flags
        return self._dichotomous

    def correct(self) -> np.ndarray:
        """0/1 uint8 matrix: the item's full points earned (meaningful for dichotomous items)."""
        mx = self.max_points.astype(self.scores.dtype)
        return (self.scores == mx[None, :]).astype(np.uint8)

    def select(self, columns: list[int] | np.ndarray) -> ResponseMatrix:
        """The same candidates restricted to some items (a subtest)."""
        cols = np.asarray(columns, dtype=np.intp)
        return ResponseMatrix(
            candidate_ids=self.candidate_ids,
            items=[self.items[j] for j in cols],
            scores=np.ascontiguousarray(self.scores[:, cols]),
            choices=None if self.choices is None else np.ascontiguousarray(self.choices[:, cols]),
            omitted=None if self.omitted is None else np.ascontiguousarray(self.omitted[:, cols]),
            presented=None if self.presented is None else np.ascontiguousarray(self.presented[:, cols]),
        )


def compact_scores(values: np.ndarray) -> np.ndarray:
    """uint8 when every value is an integer in 0..255 (all SKD points are), float32 otherwise."""
    if values.size == 0:
        return values.astype(np.uint8)
    if np.all(values >= 0) and np.all(values <= 255) and np.all(values == np.round(values)):
        return values.astype(np.uint8)
    return values.astype(np.float32)


# ---------------------------------------------------------------------------------------------- CSV


def _read_rows(path: Path, what: str) -> list[list[str]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise AnalysisInputError(_("%(what)s file not found: %(path)s", what=what, path=str(path))) from None
    except UnicodeDecodeError:
        raise AnalysisInputError(_("%(what)s file is not UTF-8 text: %(path)s", what=what, path=str(path))) from None
    except csv.Error as exc:
        raise AnalysisInputError(_("%(what)s file is not valid CSV: %(error)s", what=what, error=str(exc))) from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise AnalysisInputError(_("%(what)s file is empty: %(path)s", what=what, path=str(path)))
    return rows


def _number(cell: str) -> float | None:
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_key(path: Path) -> dict[str, tuple[OptionInfo, ...]]:
    """Read KEY.csv: ``item,key[,options]`` (one right letter) or ``item,option,points`` (weights per option)."""
    rows = _read_rows(path, _("Key"))
    header = [h.strip().lower() for h in rows[0]]
    key: dict[str, tuple[OptionInfo, ...]] = {}
    if header[:2] == ["item", "key"] and len(header) in (2, 3) and header[2:] in ([], ["options"]):
        for r, row in enumerate(rows[1:], start=2):
            if len(row) != len(header):
                raise AnalysisInputError(
                    _("key row %(row)d has %(got)d cells, the header has %(want)d", row=r, got=len(row),
                      want=len(header)), row=r)
            item, right = row[0].strip(), row[1].strip().upper()
            letters = row[2].strip().upper() if len(row) == 3 and row[2].strip() else "ABCDE"
            letters = letters.replace(",", "").replace(" ", "")
            if not item:
                raise AnalysisInputError(_("key row %(row)d: the item id is empty", row=r), row=r, column=1)
            if item in key:
                raise AnalysisInputError(_("key row %(row)d: item %(item)s is listed twice", row=r, item=item), row=r)
            if len(set(letters)) != len(letters):
                raise AnalysisInputError(
                    _("key row %(row)d: options %(options)s repeat a letter", row=r, options=letters), row=r, column=3)
            if right not in letters or len(right) != 1:
                raise AnalysisInputError(
                    _("key row %(row)d: key %(key)s of item %(item)s is not one of the options %(options)s",
                      row=r, key=right or "''", item=item, options=", ".join(letters)), row=r, column=2)
            key[item] = tuple(OptionInfo(c, 1.0 if c == right else 0.0) for c in letters)
    elif header == ["item", "option", "points"]:
        grouped: dict[str, list[OptionInfo]] = {}
        for r, row in enumerate(rows[1:], start=2):
            if len(row) != 3:
                raise AnalysisInputError(
                    _("key row %(row)d has %(got)d cells, the header has %(want)d", row=r, got=len(row), want=3),
                    row=r)
            item, label, pts = row[0].strip(), row[1].strip().upper(), _number(row[2].strip())
            if not item or not label:
                raise AnalysisInputError(_("key row %(row)d: item and option must not be empty", row=r), row=r)
            if pts is None or pts < 0:
                raise AnalysisInputError(
                    _("key row %(row)d, column 3: points %(value)s is not a non-negative number", row=r,
                      value=repr(row[2])), row=r, column=3)
            opts = grouped.setdefault(item, [])
            if any(o.label == label for o in opts):
                raise AnalysisInputError(
                    _("key row %(row)d: option %(option)s of item %(item)s is listed twice", row=r, option=label,
                      item=item), row=r)
            opts.append(OptionInfo(label, pts))
        for item, opts in grouped.items():
            if max(o.points for o in opts) <= 0:
                raise AnalysisInputError(_("key: no option of item %(item)s earns points", item=item))
            key[item] = tuple(opts)
    else:
        raise AnalysisInputError(
            _("key header must be 'item,key[,options]' or 'item,option,points', not %(header)s",
              header=",".join(rows[0])), row=1)
    if not key:
        raise AnalysisInputError(_("key file lists no items"))
    return key


def _open_csv(path: Path, what: str):  # type: ignore[no-untyped-def]
    try:
        return path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise AnalysisInputError(_("%(what)s file not found: %(path)s", what=what, path=str(path))) from None


_BAD_CODE = 127  # placeholder while decoding a letter row: the cell needs the slow, precise check
_BLANK = -1.0  # placeholder while decoding a numeric row: an empty cell (omitted)
_FAST_NUMBERS = {"0": 0.0, "1": 1.0, "": _BLANK}


def read_responses_csv(path: Path, key: dict[str, tuple[OptionInfo, ...]] | None = None, *,
                       chunk_rows: int = 50_000) -> ResponseMatrix:
    """Read FILE.csv: a header, a candidate id column, one column per item (0/1 or points; letters with a key).

    Streams the file: each row is decoded with one dict lookup per cell (exact letters, 0/1, blanks), and only
    unusual cells (spaces, other numbers, errors) take the careful path; rows go to compact arrays per chunk.
    Row numbers in errors are the file's line numbers.
    """
    what = _("Responses")
    fh = _open_csv(path, what)
    try:
        with fh:
            reader = csv.reader(fh)
            header: list[str] | None = None
            for row in reader:
                if any(cell.strip() for cell in row):
                    header = [h.strip() for h in row]
                    break
            if header is None:
                raise AnalysisInputError(_("%(what)s file is empty: %(path)s", what=what, path=str(path)))
            return _read_body(reader, header, reader.line_num, key, chunk_rows)
    except UnicodeDecodeError:
        raise AnalysisInputError(_("%(what)s file is not UTF-8 text: %(path)s", what=what, path=str(path))) from None
    except csv.Error as exc:
        raise AnalysisInputError(_("%(what)s file is not valid CSV: %(error)s", what=what, error=str(exc))) from None


def _read_body(reader, header: list[str], header_line: int,  # type: ignore[no-untyped-def]
               key: dict[str, tuple[OptionInfo, ...]] | None, chunk_rows: int) -> ResponseMatrix:
    if len(header) < 2:
        raise AnalysisInputError(_("responses header needs a candidate id column and at least one item column"),
                                 row=header_line)
    item_ids = header[1:]
    for c, name in enumerate(item_ids, start=2):
        if not name:
            raise AnalysisInputError(_("responses header, column %(column)d: the item id is empty", column=c),
                                     row=header_line, column=c)
    seen: set[str] = set()
    for c, name in enumerate(item_ids, start=2):
        if name in seen:
            raise AnalysisInputError(
                _("responses header, column %(column)d: item %(item)s appears twice", column=c, item=name),
                row=header_line, column=c)
        seen.add(name)
    if key is not None:
        missing = [i for i in item_ids if i not in key]
        if missing:
            raise AnalysisInputError(_("the key has no entry for item(s): %(items)s", items=", ".join(missing)))
    k = len(item_ids)
    lookups: list[dict[str, int]] = []
    fast: list[dict[str, int]] = []
    if key is not None:
        cache: dict[tuple[str, ...], dict[str, int]] = {}
        for name in item_ids:
            lookup = {o.label: idx for idx, o in enumerate(key[name])}
            lookups.append(lookup)
            labels = tuple(lookup)
            if labels not in cache:
                f = {lab: idx for lab, idx in lookup.items()}
                f.update({lab.lower(): idx for lab, idx in lookup.items()})
                f[""] = OMITTED
                cache[labels] = f
            fast.append(cache[labels])

    ids: list[str] = []
    id_seen: set[str] = set()
    chunks: list[np.ndarray] = []
    buffer: list[list[float]] | list[list[int]] = []

    def flush() -> None:
        if buffer:
            chunks.append(np.array(buffer, dtype=np.float64 if key is None else np.int8))
            buffer.clear()

    for row in reader:
        r = reader.line_num
        if len(row) != k + 1:
            if not any(cell.strip() for cell in row):
                continue
            raise AnalysisInputError(
                _("responses row %(row)d has %(got)d cells, the header has %(want)d", row=r, got=len(row),
                  want=k + 1), row=r)
        cid = row[0].strip()
        if not cid:
            if not any(cell.strip() for cell in row):
                continue
            raise AnalysisInputError(_("responses row %(row)d, column 1: the candidate id is empty", row=r),
                                     row=r, column=1)
        if cid in id_seen:
            raise AnalysisInputError(
                _("responses row %(row)d: candidate %(id)s appears twice", row=r, id=cid), row=r, column=1)
        id_seen.add(cid)
        ids.append(cid)
        cells = row[1:]
        if key is None:
            values = [_FAST_NUMBERS.get(c) for c in cells]
            if None in values:
                values = [v if v is not None else _slow_number(cells[j], r, j, item_ids[j])
                          for j, v in enumerate(values)]
            buffer.append(values)  # type: ignore[arg-type]
        else:
            codes = [f.get(c, _BAD_CODE) for f, c in zip(fast, cells, strict=True)]
            if _BAD_CODE in codes:
                codes = [v if v != _BAD_CODE else _slow_letter(cells[j], r, j, item_ids[j], lookups[j])
                         for j, v in enumerate(codes)]
            buffer.append(codes)  # type: ignore[arg-type]
        if len(buffer) >= chunk_rows:
            flush()
    flush()
    if not ids:
        raise AnalysisInputError(_("responses file has a header but no candidates"))
    data = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
    if key is None:
        omitted = data == _BLANK
        data[omitted] = 0.0
        items = [ItemInfo(id=name, max_points=float(data[:, j].max()) or 1.0) for j, name in enumerate(item_ids)]
        return ResponseMatrix(ids, items, compact_scores(data), omitted=omitted)
    items = [ItemInfo(id=name, max_points=max(o.points for o in key[name]), options=key[name]) for name in item_ids]
    return ResponseMatrix(ids, items, score_choices(data, items), choices=data)


def _slow_number(raw: str, r: int, j: int, item: str) -> float:
    cell = raw.strip()
    if not cell:
        return _BLANK
    value = _number(cell)
    if value is None or value < 0:
        raise AnalysisInputError(
            _("responses row %(row)d, column %(column)d (item %(item)s): %(value)s is not a "
              "non-negative number (give --key to score option letters)", row=r, column=j + 2,
              item=item, value=repr(raw)), row=r, column=j + 2)
    return value


def _slow_letter(raw: str, r: int, j: int, item: str, lookup: dict[str, int]) -> int:
    cell = raw.strip()
    if not cell:
        return OMITTED
    idx = lookup.get(cell.upper())
    if idx is None:
        raise AnalysisInputError(
            _("responses row %(row)d, column %(column)d (item %(item)s): option %(value)s is not one of "
              "%(options)s", row=r, column=j + 2, item=item, value=repr(raw),
              options=", ".join(lookup)), row=r, column=j + 2)
    return idx


def score_choices(choices: np.ndarray, items: list[ItemInfo]) -> np.ndarray:
    """Points earned per cell from chosen option indexes (omitted / not presented earn 0): a lookup per item."""
    n, k = choices.shape
    table = np.zeros((k, 256), dtype=np.float64)  # indexed by the int8 code seen as uint8 (-1 -> 255, -2 -> 254)
    for j, it in enumerate(items):
        table[j, : len(it.options)] = [o.points for o in it.options]
    table = compact_scores(table)
    codes = np.asfortranarray(choices).view(np.uint8)
    out = np.empty((n, k), dtype=table.dtype, order="F")
    for j in range(k):
        np.take(table[j], codes[:, j], out=out[:, j])
    return np.ascontiguousarray(out)
