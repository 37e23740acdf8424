"""Whole-exam readers give the same answers whether the papers carry a layout index, none, or some: rescoring (with
annulments), the shown items, the annulment check and the analysis matrix; and an indexed paper is read from its
index, not its JSON."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from scoring_factory import MiniExam
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from test_rescoring_arrays import add_paper, bank, reference, stored

from ground.layout_index import decode, plain_index
from ground.models import Paper, Result
from ground.models.scoring import RescoreLog
from scoring.points import layout_versions
from scoring.store.analysis import load_exam_responses
from scoring.store.rescoring import annul_items, rescore_exam, shown_items, versions_not_shown

MODES = ("indexed", "cleared", "mixed")


def build(session: Session, seed: int, odd: tuple[str, ...]) -> tuple[MiniExam, int]:
    """Plain papers (indexed), papers with the multiple-response question and odd ones (some plain, some not)."""
    rng = random.Random(seed)
    mini, multiple = bank(session)
    for i in range(30):
        add_paper(session, mini, f"N{i:03d}", rng, None)
    for i in range(6):
        add_paper(session, mini, f"M{i:03d}", rng, multiple)
    for i, how in enumerate(odd):
        add_paper(session, mini, f"O{i:03d}", rng, None, odd=how)
    add_paper(session, mini, "E000", rng, None, answers=False)
    add_paper(session, mini, "U000", rng, None, state="started")
    for paper in session.scalars(select(Paper).where(Paper.exam_id == mini.exam.id)):
        paper.layout_index = plain_index(paper.layout, mini.options)
    session.flush()
    return mini, multiple


def indexed(session: Session, mini: MiniExam) -> dict[int, bytes]:
    return {p.id: p.layout_index for p in session.scalars(select(Paper).where(Paper.exam_id == mini.exam.id))
            if p.layout_index is not None}


def set_mode(session: Session, mini: MiniExam, blobs: dict[int, bytes], mode: str) -> None:
    """Every plain paper indexed, none, or every other one (by raw UPDATE: the layouts stay as they are)."""
    ids = sorted(blobs)
    keep = ids if mode == "indexed" else ids[::2] if mode == "mixed" else []
    session.execute(update(Paper).where(Paper.exam_id == mini.exam.id).values(layout_index=None),
                    execution_options={"synchronize_session": False})
    for pid in keep:
        session.execute(update(Paper).where(Paper.id == pid).values(layout_index=blobs[pid]),
                        execution_options={"synchronize_session": False})
    session.expire_all()
    have = set(session.scalars(select(Paper.id).where(Paper.layout_index.is_not(None))))
    assert have == set(keep)


def rescored(session: Session, mini: MiniExam, why: str) -> dict[int, dict[str, Any]]:
    session.execute(delete(RescoreLog))
    session.execute(delete(Result))
    report = rescore_exam(session, mini.exam, why)
    assert report.checked == len(report.changed) > 0
    return stored(session, mini)


def test_the_plain_papers_are_indexed_exactly(session: Session) -> None:
    mini, _multiple = build(session, 1, ("hidden", "twice", "order", "elsewhere"))
    papers = {p.candidate_id: p for p in session.scalars(select(Paper))}
    by_no = {no: papers[c.id] for no, c in mini.candidates.items()}
    plain = {no for no in by_no if no[0] in "NEU"} | {"O002", "O003"}  # "order" and "elsewhere" are plain layouts
    assert {no for no, p in by_no.items() if p.layout_index is not None} == plain
    for no in plain:
        lay = by_no[no].layout
        got = decode(by_no[no].layout_index)
        assert got == {st["code"]: [q["v"] for q in st["questions"]] for st in lay["subtests"]}
        assert list(got or {}) == [st["code"] for st in lay["subtests"]]
    paper = by_no["N000"]
    paper.layout = {"subtests": []}  # a layout written again without its index loses the old one
    session.flush()
    session.expire(paper)
    assert paper.layout_index is None


@pytest.mark.parametrize("mode", MODES)
def test_rescoring_is_the_same_with_or_without_the_index(session: Session, mode: str) -> None:
    mini, multiple = build(session, 7, ("hidden", "elsewhere", "foreign", "order", "twice", "order"))
    blobs = indexed(session, mini)
    assert 30 < len(blobs) < len(mini.candidates)
    want = reference(session, mini)
    set_mode(session, mini, blobs, mode)
    assert rescored(session, mini, "first") == want
    twk = mini.versions["TWK"][0].id  # on indexed papers and others
    annul_items(session, mini.exam, [twk], "award", "two keys")
    annul_items(session, mini.exam, [mini.versions["TKP"][2].id], "drop", "ambiguous")
    annul_items(session, mini.exam, [multiple], "award", "no right set")
    want2 = reference(session, mini)
    assert want2 != want
    assert rescored(session, mini, "objections") == want2


def test_an_indexed_paper_is_scored_from_its_index(session: Session) -> None:
    mini, _multiple = build(session, 5, ("order",))
    blobs = indexed(session, mini)
    want = reference(session, mini)
    annul_items(session, mini.exam, [mini.versions["TIU"][1].id], "award", "two keys")
    want_annulled = reference(session, mini)
    # every indexed paper's JSON says nothing: only the index can give the right scores
    session.execute(update(Paper).where(Paper.id.in_(blobs)).values(layout={"subtests": []}),
                    execution_options={"synchronize_session": False})
    session.expire_all()
    assert rescored(session, mini, "from the index") == want_annulled != want
    items = {i.version_id: i.papers for i in shown_items(session, mini.exam)}
    assert sum(items.values()) == sum(len(layout_versions(p.layout)) for p in session.scalars(select(Paper))) + sum(
        len([v for vs in (decode(b) or {}).values() for v in vs]) for b in blobs.values())


@pytest.mark.parametrize("mode", MODES)
def test_shown_items_and_the_annulment_check(session: Session, mode: str) -> None:
    mini, multiple = build(session, 3, ("hidden", "twice", "order"))
    blobs = indexed(session, mini)
    shown_before = {i.version_id: i.papers for i in shown_items(session, mini.exam)}
    on_papers = {v for p in session.scalars(select(Paper)) for v in layout_versions(p.layout)}
    never = sorted({v.id for vs in mini.versions.values() for v in vs} - on_papers) + [10**9]
    set_mode(session, mini, blobs, mode)
    got = shown_items(session, mini.exam)
    assert {i.version_id: i.papers for i in got} == shown_before
    assert {i.version_id for i in got} == on_papers and multiple in on_papers
    assert sum(i.papers for i in got) == sum(len(layout_versions(p.layout)) for p in session.scalars(select(Paper)))
    assert versions_not_shown(session, mini.exam, sorted(on_papers) + never) == never
    assert versions_not_shown(session, mini.exam, sorted(on_papers)) == []


def matrix(session: Session, mini: MiniExam) -> dict[str, Any]:
    data = load_exam_responses(session, mini.exam.code)
    m = data.matrix
    return {"candidates": m.candidate_ids, "items": m.items, "scores": m.scores.tolist(),
            "dtype": str(m.scores.dtype), "choices": None if m.choices is None else m.choices.tolist(),
            "presented": None if m.presented is None else m.presented.tolist(),
            "subtests": [(s.code, s.title, list(s.columns)) for s in data.subtests]}


@pytest.mark.parametrize("mode", MODES)
def test_the_analysis_matrix_is_the_same(session: Session, mode: str) -> None:
    mini, _multiple = build(session, 9, ("hidden", "twice", "order", "order"))
    blobs = indexed(session, mini)
    set_mode(session, mini, blobs, "cleared")
    want = matrix(session, mini)  # the JSON's, as before there was an index
    assert [s[:2] for s in want["subtests"]] == [("TWK", "TWK"), ("TIU", "TIU"), ("TKP", "TKP")]
    assert np.asarray(want["presented"]).sum() > 0
    set_mode(session, mini, blobs, mode)
    assert matrix(session, mini) == want
