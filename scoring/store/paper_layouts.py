"""An exam's paper layouts for whole-exam jobs: from ``Paper.layout_index`` where a paper has one, from the JSON
otherwise; a job over 100,000 papers then decodes no JSON at all when every paper was issued plain."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Text, case, cast, null, select
from sqlalchemy.orm import Session

from ground.layout_index import FlatIndex, decode_many
from ground.models import Paper

CHUNK = 900  # stay under SQLite's bound-parameter limit


def layout_text() -> ColumnElement[str | None]:
    """The layout as JSON text, only for a paper without an index: an indexed paper's JSON is not even sent."""
    return case((Paper.layout_index.is_(None), cast(Paper.layout, Text)), else_=null())


def id_chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    """The distinct ids, sorted, in lists an ``IN (...)`` takes on every backend."""
    ordered = sorted(set(ids))
    for i in range(0, len(ordered), CHUNK):
        yield ordered[i : i + CHUNK]


def layouts_of(session: Session, paper_ids: Iterable[int]) -> dict[int, Any]:
    """{paper id: its layout} from the JSON (the few papers a job must read in full)."""
    out: dict[int, Any] = {}
    for chunk in id_chunks(paper_ids):
        out.update(session.execute(select(Paper.id, Paper.layout).where(Paper.id.in_(chunk))).all())
    return out


@dataclass
class PaperLayouts:
    """The papers of a query, each either indexed (``flat.subtests[i]`` set) or read from its JSON (``json[i]``)."""

    flat: FlatIndex
    json: dict[int, Any]  # row → the layout, for every paper without a readable index


def read_layouts(session: Session, paper_ids: Sequence[int], blobs: Sequence[bytes | None],
                 texts: Sequence[str | None]) -> PaperLayouts:
    """The papers' layouts from what the query read (``layout_index`` and :func:`layout_text` per paper): the
    indexes decoded at once, the other papers' JSON decoded (read again in the rare case of an unreadable index)."""
    flat = decode_many(blobs)
    out = {i: json.loads(t) for i, t in enumerate(texts) if t is not None}
    lost = [i for i, b in enumerate(blobs) if b is not None and flat.subtests[i] is None]
    if lost:
        again = layouts_of(session, [paper_ids[i] for i in lost])
        out.update({i: again.get(paper_ids[i]) for i in lost})
    return PaperLayouts(flat, out)


@dataclass(frozen=True)
class Questions:
    """Every question of the papers as arrays, papers in the given order and questions in layout order."""

    codes: list[str]  # subtest codes, into which ``sub`` points
    subtests: list[tuple[int, ...]]  # per paper: its subtests (into codes) in layout order
    row: np.ndarray  # int64: the paper's position
    sub: np.ndarray  # int64
    version: np.ndarray  # int64


def questions(papers: PaperLayouts) -> Questions:
    """Indexed and JSON papers together, in paper order (the JSON ones walked in Python, as before the index)."""
    flat = papers.flat
    codes = {c: i for i, c in enumerate(flat.codes)}
    subtests: list[tuple[int, ...]] = [s if s is not None else () for s in flat.subtests]
    if not papers.json:
        return Questions(list(codes), subtests, flat.row, flat.sub, flat.version)
    rows: list[int] = []
    subs: list[int] = []
    versions: list[int] = []
    for i, layout in sorted(papers.json.items()):
        mine = []
        for st in (layout or {}).get("subtests", []):
            c = codes.setdefault(str(st.get("code", "")), len(codes))
            mine.append(c)
            vs = [int(q["v"]) for q in st.get("questions", [])]
            versions.extend(vs)
            subs.extend([c] * len(vs))
            rows.extend([i] * len(vs))
        subtests[i] = tuple(mine)
    row = np.concatenate([flat.row, np.asarray(rows, dtype=np.int64)])
    order = np.argsort(row, kind="stable")  # two runs, each in paper order: a merge
    return Questions(list(codes), subtests, row[order],
                     np.concatenate([flat.sub, np.asarray(subs, dtype=np.int64)])[order],
                     np.concatenate([flat.version, np.asarray(versions, dtype=np.int64)])[order])
