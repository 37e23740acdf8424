"""CSV and XLSX banks: one row per item, option columns, a key or weight columns; plus the committee template."""

from __future__ import annotations

import csv
import io
import re
import string
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ground.config import write_private
from ground.i18n import _
from ground.tables import cell_text, unpacks_too_large
from question_bank.formats import FormatError, ParseResult, Problem, ReadOptions
from question_bank.formats.common import ImageSink, file_loader, number
from question_bank.items import ItemDraft, OptionDraft

LETTERS = string.ascii_uppercase[:10]  # options A..J
TEMPLATE_OPTIONS = 5
MAX_ROWS = 200_000

_ALIASES = {
    "uid": ("uid", "id", "kode", "kode_soal", "item_id"),
    "subtest": ("subtest", "subtes", "sub_tes"),
    "category": ("category", "kategori", "topik", "topic"),
    "difficulty": ("difficulty", "kesulitan", "tingkat_kesulitan", "level"),
    "tags": ("tags", "tag", "label"),
    "kind": ("kind", "jenis", "tipe", "type"),
    "question": ("question", "soal", "pertanyaan", "text", "teks_soal", "question_text"),
    "key": ("key", "kunci", "kunci_jawaban", "jawaban", "answer"),
    "points": ("points", "poin", "nilai", "skor"),
    "explanation": ("explanation", "pembahasan", "penjelasan"),
    "image": ("image", "gambar"),
    "score_lower": ("score_lower", "batas_bawah", "lower_bound"),
    "score_upper": ("score_upper", "batas_atas", "upper_bound"),
}
_OPTION_PREFIX = ("option", "opsi", "pilihan", "choice")
_WEIGHT_PREFIX = ("weight", "bobot", "points", "poin")
_KINDS = {
    "single": "single", "pilihan ganda": "single", "pg": "single", "multiple choice": "single", "": "single",
    "multiple": "multiple", "pilihan ganda kompleks": "multiple", "multiple response": "multiple",
    "truefalse": "truefalse", "true/false": "truefalse", "benar salah": "truefalse", "benar-salah": "truefalse",
    "benar/salah": "truefalse", "bs": "truefalse",
}  # fmt: skip
_UNSUPPORTED = {
    "essay": "essay", "esai": "essay", "uraian": "essay", "short answer": "short answer", "isian": "short answer",
    "isian singkat": "short answer", "matching": "matching", "menjodohkan": "matching", "numeric": "numeric",
    "numerik": "numeric", "numerical": "numeric",
}  # fmt: skip
_TRUE = {"BENAR", "TRUE", "T", "YA"}
_FALSE = {"SALAH", "FALSE", "F", "TIDAK"}


def _norm_header(h: Any) -> str:
    s = re.sub(r"\(.*?\)", "", str(h or "")).strip().lower()
    return re.sub(r"[\s\-./]+", "_", s).strip("_")


def _column_map(header: list[Any]) -> tuple[dict[str, int], list[str]]:
    """Canonical column -> index; unknown headers are returned for a warning."""
    cols: dict[str, int] = {}
    unknown: list[str] = []
    for i, raw in enumerate(header):
        h = _norm_header(raw)
        if not h:
            continue
        canon = next((k for k, names in _ALIASES.items() if h in names), None)
        if canon is None:
            m = re.fullmatch(r"([a-z]+)_?([a-j])", h)
            if m and m.group(1) in _OPTION_PREFIX:
                canon = f"option_{m.group(2)}"
            elif m and m.group(1) in _WEIGHT_PREFIX:
                canon = f"weight_{m.group(2)}"
            elif re.fullmatch(r"[a-j]", h):
                canon = f"option_{h}"
        if canon is None:
            unknown.append(str(raw))
        elif canon not in cols:
            cols[canon] = i
    return cols, unknown


def looks_like_header(line: str) -> bool:
    """True when a text line is a bank table's header row (a question column among delimited columns)."""
    delim = max((",", ";", "\t"), key=line.count)
    cells = next(csv.reader([line], delimiter=delim), [])
    if len(cells) < 2:
        return False
    cols, _unknown = _column_map(cells)
    return "question" in cols and len(cols) >= 2


def _rows_to_items(rows: Iterable[tuple[str, list[Any]]], name: str, opts: ReadOptions) -> ParseResult:
    result = ParseResult(items=[])
    it = iter(rows)
    header, header_at = None, name
    for where, row in it:
        if any(cell_text(c) for c in row):
            header, header_at = row, where
            break
    if header is None:
        raise FormatError(
            _("%(name)s: no header row (the first row must name the columns: question, option_a, ...)", name=name)
        )
    cols, unknown = _column_map(header)
    if "question" not in cols:
        raise FormatError(
            _(
                "%(name)s: no question column (header 'question' or 'soal'); found %(list)s",
                name=header_at,
                list=", ".join(map(cell_text, header)),
            )
        )
    if unknown:
        result.warnings.append(Problem(name, _("columns ignored: %(list)s", list=", ".join(unknown))))
    letters = [x for x in "abcdefghij" if f"option_{x}" in cols]
    weight_letters = [x for x in "abcdefghij" if f"weight_{x}" in cols]
    sink = ImageSink(result, opts, file_loader(opts.base_dir, max(opts.max_image_bytes, opts.max_media_bytes)))
    for count, (where, row) in enumerate(it, 1):
        if count > MAX_ROWS:
            raise FormatError(_("%(name)s: more than %(limit)s rows", name=name, limit=MAX_ROWS))
        get = {k: cell_text(row[i]) if i < len(row) else "" for k, i in cols.items()}
        if not any(get.values()):
            continue
        uid = get.get("uid") or ""
        loc = f"{where} [{uid}]" if uid else where
        if not uid:
            result.problem(loc, _("item id (uid) is empty"))
            continue
        kind_raw = get.get("kind", "").lower()
        if kind_raw in _UNSUPPORTED:
            result.problem(
                loc,
                _("%(kind)s questions cannot be delivered", kind=_UNSUPPORTED[kind_raw]),
                "unsupported",
            )
            continue
        if kind_raw not in _KINDS:
            result.problem(loc, _("unknown kind %(kind)r (single, multiple, truefalse)", kind=get.get("kind")))
            continue
        kind = _KINDS[kind_raw]
        texts = [(x, get.get(f"option_{x}", "")) for x in letters]
        while texts and not texts[-1][1]:
            texts.pop()  # trailing empty option columns are simply unused
        gaps = [x.upper() for x, t in texts if not t]
        if gaps:
            result.problem(loc, _("option %(gaps)s is empty but a later option is filled", gaps=gaps[0]))
            continue
        if kind == "truefalse" and not texts:
            texts = [("a", "Benar"), ("b", "Salah")]
        points_cell = get.get("points", "")
        full = number(points_cell) if points_cell else opts.max_points
        if full is None:
            result.problem(loc, _("points %(points_cell)r is not a number", points_cell=points_cell))
            continue
        weights_given = [x for x in weight_letters if get.get(f"weight_{x}")]
        pts: list[float] = []
        problem = None
        if weights_given:
            for x, _t in texts:
                raw = get.get(f"weight_{x}", "")
                w = number(raw) if raw else 0.0
                if w is None:
                    problem = _("weight %(upper)s %(raw)r is not a number", upper=x.upper(), raw=raw)
                    break
                pts.append(w)
            extra = [x.upper() for x in weights_given if x not in dict(texts)]
            if extra and not problem:
                problem = _("weight %(extra)s given for an option that has no text", extra=extra[0])
        else:
            key = get.get("key", "").upper().replace(" ", "")
            if not key:
                problem = _("no key and no weights: give the key letter or weight columns")
            elif kind == "truefalse" and len(texts) == 2 and key in _TRUE | _FALSE:
                pts = [full, 0.0] if key in _TRUE else [0.0, full]
            else:
                keys = [k for k in re.split(r"[,;/]", key) if k] if re.search(r"[,;/]", key) else list(key)
                known = [x.upper() for x, _ in texts]
                wrong = [k for k in keys if k not in known]
                if wrong:
                    problem = _(
                        "key %(wrong)r is not one of the options %(list)s", wrong=wrong[0], list=", ".join(known)
                    )
                else:
                    if len(keys) > 1 and kind == "single":
                        kind = "multiple"
                    share = full / len(keys)
                    pts = [share if x.upper() in keys else 0.0 for x, _ in texts]
        bounds: list[float | None] = []
        for column in ("score_lower", "score_upper"):  # the item's score bounds (QTI mapping), when given
            raw = get.get(column, "")
            bound = number(raw) if raw else None
            if raw and bound is None and not problem:
                problem = _("%(column)s %(raw)r is not a number", column=column, raw=raw)
            bounds.append(bound)
        if problem:
            result.problem(loc, problem)
            continue
        media: list[dict[str, Any]] = []
        if get.get("image"):
            try:
                media.append(sink.resolve(get["image"]))
            except ValueError as exc:
                result.problem(loc, _("image: %(exc)s", exc=exc))
                continue
        tags = [t.strip() for t in re.split(r"[;,]", get.get("tags", "")) if t.strip()]
        result.items.append(
            ItemDraft(
                uid=uid,
                subtest=get.get("subtest") or opts.subtest or "",
                text=get["question"],
                options=[OptionDraft(t, p) for (_x, t), p in zip(texts, pts, strict=True)],
                kind=kind,
                category=get.get("category") or None,
                tags=tags,
                difficulty=get.get("difficulty") or None,
                explanation=get.get("explanation") or None,
                media=media,
                source=where,
                score_lower=bounds[0],
                score_upper=bounds[1],
            )
        )
    return result


def read_csv(data: bytes, name: str, opts: ReadOptions) -> ParseResult:
    """Read a CSV bank (UTF-8, or Windows-1252 from older Excel; comma, semicolon or tab separated)."""
    warning = None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        warning = _("file is not UTF-8; read as Windows-1252 (save as 'CSV UTF-8' to avoid this)")
    first = text.split("\n", 1)[0]
    delim = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows: list[tuple[str, list[Any]]] = []
    try:
        start = 1
        for row in reader:
            rows.append((f"{name}:{start}", row))  # the line where the record starts (quoted cells may span lines)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FormatError(
            _("%(name)s:%(line)s: broken CSV (%(exc)s)", name=name, line=reader.line_num, exc=exc)
        ) from exc
    result = _rows_to_items(rows, name, opts)
    if warning:
        result.warnings.append(Problem(name, warning))
    return result


def _sheet_rows(ws, name: str) -> list[tuple[str, list[Any]]]:  # noqa: ANN001 - an openpyxl worksheet
    fill: dict[tuple[int, int], Any] = {}
    for rng in ws.merged_cells.ranges:
        top = ws.cell(rng.min_row, rng.min_col).value
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                fill[(r, c)] = top
    rows = []
    for r, row in enumerate(ws.iter_rows(values_only=True), 1):
        vals = list(row)
        for c in range(len(vals)):
            if (r, c + 1) in fill:
                vals[c] = fill[(r, c + 1)]
        rows.append((f"{name} sheet {ws.title!r} row {r}", vals))
    return rows


def read_xlsx(data: bytes, name: str, opts: ReadOptions) -> ParseResult:
    """Read an XLSX bank: the sheet named Soal/Bank/Items (else the first); merged cells count for every row."""
    from openpyxl import load_workbook

    total = unpacks_too_large(data)
    if total is not None:
        raise FormatError(
            _("%(name)s: unpacks to %(total)s bytes; refused as a possible zip bomb", name=name, total=total)
        )
    try:
        wb = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise FormatError(_("%(name)s: not a readable XLSX workbook (%(exc)s)", name=name, exc=exc)) from exc
    wanted = {"soal", "bank", "items", "questions"}
    ws = next((s for s in wb.worksheets if s.title.strip().lower() in wanted), wb.worksheets[0])
    return _rows_to_items(_sheet_rows(ws, name), name, opts)


def _row(d: ItemDraft, n_opts: int) -> list[Any]:
    best = max((o.points for o in d.options), default=0)
    positive = {o.points for o in d.options if o.points > 0}
    # a key column is enough when the correct options share one value and the rest score 0; else weights
    weighted = (
        any(o.points < 0 for o in d.options)
        or len(positive) > 1
        or (d.kind != "multiple" and sum(o.points > 0 for o in d.options) > 1)
    )
    keys = [LETTERS[i] for i, o in enumerate(d.options) if o.points > 0 and (d.kind == "multiple" or o.points == best)]
    opt_text = [o.text for o in d.options] + [""] * (n_opts - len(d.options))
    weights = [o.points for o in d.options] + [""] * (n_opts - len(d.options)) if weighted else [""] * n_opts
    points = sum(o.points for o in d.options if o.points > 0) if d.kind == "multiple" else best
    image = d.media[0]["src"] if d.media else ""
    return (
        [d.uid, d.subtest, d.category or "", d.difficulty or "", "; ".join(d.tags), d.kind, d.text]
        + opt_text
        + ["" if weighted else ",".join(keys), "" if weighted else points]
        + weights
        + [d.explanation or "", image]
        + ["" if b is None else b for b in (d.score_lower, d.score_upper)]
    )


def table_header(n_opts: int) -> list[str]:
    """The column names for ``n_opts`` options (the template uses 5: A–E)."""
    return (
        ["uid", "subtest", "category", "difficulty", "tags", "kind", "question"]
        + [f"option_{x}" for x in "abcdefghij"[:n_opts]]
        + ["key", "points"]
        + [f"weight_{x}" for x in "abcdefghij"[:n_opts]]
        + ["explanation", "image", "score_lower", "score_upper"]
    )


def write_csv(items: list[ItemDraft], path: str | Path) -> None:
    """Export a bank as CSV (UTF-8 with BOM so Excel opens it correctly)."""
    n = max([len(d.options) for d in items] + [TEMPLATE_OPTIONS])
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(table_header(n))
    for d in items:
        w.writerow(_row(d, n))
    write_private(Path(path), buf.getvalue().encode("utf-8-sig"))


def _style_header(ws, n_cols: int) -> None:  # noqa: ANN001
    from openpyxl.styles import Alignment, Font, PatternFill

    for c in range(1, n_cols + 1):
        cell = ws.cell(1, c)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    widths = {"question": 60, "explanation": 40}
    for c, cell in enumerate(ws[1], 1):
        ws.column_dimensions[cell.column_letter].width = widths.get(str(cell.value), 14 if c > 7 else 12)


def write_xlsx(items: list[ItemDraft], path: str | Path, instructions: list[str] | None = None) -> None:
    """Export a bank (or, with no items, the empty template) as XLSX: sheet 'Soal' plus instructions."""
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    n = max([len(d.options) for d in items] + [TEMPLATE_OPTIONS])
    wb = Workbook()
    ws = wb.active
    ws.title = "Soal"
    header = table_header(n)
    ws.append(header)
    for d in items:
        ws.append(_row(d, n))
    _style_header(ws, len(header))
    kinds = DataValidation(type="list", formula1='"single,multiple,truefalse"', allow_blank=True)
    ws.add_data_validation(kinds)
    kinds.add(f"F2:F{max(1000, len(items) + 500)}")
    if instructions:
        info = wb.create_sheet("Petunjuk")
        for line in instructions:
            info.append([line])
        info.column_dimensions["A"].width = 120
    out = io.BytesIO()
    wb.save(out)
    write_private(Path(path), out.getvalue())
