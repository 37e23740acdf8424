"""Annulling items and rescoring an exam from the stored answers and the item versions each paper showed.

Every changed result gets a :class:`RescoreLog` row (before, after, why) and the run an audit event, so
a committee can show exactly what an annulment did to whom.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ground import audit, bank_seal, clock
from ground.bulk import copy_rows, distinct_ids, gc_paused_call, id_positions, int_columns, reserve_ids
from ground.i18n import _
from ground.layout_index import FlatIndex, decode_many
from ground.models import Annulment, Answer, Candidate, Exam, ItemVersion, Paper, Result
from ground.models.scoring import RescoreLog
from scoring.grading import grade, grade_matrix, path_codes, reasons_for
from scoring.points import (
    ANNUL_MODES,
    AWARD,
    DROP,
    Choice,
    best_points,
    clamp,
    layout_versions,
    question_points,
    stored_choice,
    subtest_points,
)
from scoring.store.announcement import exam_rules, open_papers, skd_codes
from scoring.store.paper_layouts import id_chunks, layout_text, layouts_of, read_layouts


class RescoreError(ValueError):
    """An annulment or rescoring request that cannot be carried out; nothing was changed (the message translated)."""


@dataclass(frozen=True)
class RescoreChange:
    """One result that changed: whose, and the before/after snapshots."""

    participant_no: str
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass
class RescoreReport:
    """What a rescoring run did: how many results were checked and which changed."""

    exam: str
    checked: int = 0
    changed: list[RescoreChange] = field(default_factory=list)


def versions_not_shown(session: Session, exam: Exam, version_ids: list[int]) -> list[int]:
    """Which of the versions no paper of the exam showed. Papers are read in batches until every one is found: an
    annulment names versions every paper shows, so a check that decoded the whole exam's layouts (seconds at 100,000
    papers) usually stops in the first batch. An indexed paper's versions come from its index; another's layout is
    read as text and decoded only where a wanted id's digits occur."""
    missing = set(version_ids)
    rows = session.execute(select(Paper.layout_index, layout_text()).where(Paper.exam_id == exam.id),
                           execution_options={"yield_per": 1000})
    for batch in rows.partitions():
        blobs = [b for b, _t in batch]
        if any(b is not None for b in blobs):
            shown = decode_many(blobs).version
            missing -= set(np.intersect1d(shown, np.fromiter(missing, dtype=np.int64, count=len(missing))).tolist())
        for _b, text in batch:
            if text and any(str(v) in text for v in missing):
                missing -= layout_versions(json.loads(text) or {})
        if not missing:
            break
    rows.close()
    return sorted(missing)


@gc_paused_call
def annul_items(
    session: Session, exam: Exam, version_ids: Iterable[int], mode: str, reason: str, actor: str = "system"
) -> list[Annulment]:
    """Record annulments (or change their mode); every version must have been on a paper of this exam."""
    ids = sorted(set(int(v) for v in version_ids))
    if mode not in ANNUL_MODES:
        raise RescoreError(_("annulment mode must be one of %(modes)s, got %(mode)r", modes=", ".join(ANNUL_MODES),
                             mode=mode))
    if not reason or not reason.strip():
        raise RescoreError(_("an annulment needs a reason (it is published with the rescoring)"))
    if not ids:
        raise RescoreError(_("name at least one item version to annul"))
    unknown = versions_not_shown(session, exam, ids)
    if unknown:
        raise RescoreError(_("item version(s) %(versions)s were not on any paper of exam %(exam)s",
                             versions=", ".join(map(str, unknown)), exam=exam.code))
    existing = {
        a.item_version_id: a
        for a in session.scalars(
            select(Annulment).where(Annulment.exam_id == exam.id, Annulment.item_version_id.in_(ids))
        )
    }
    out = []
    now = clock.now()
    for v in ids:
        a = existing.get(v)
        if a is None:
            a = Annulment(exam_id=exam.id, item_version_id=v, mode=mode, reason=reason.strip(), actor=actor,
                          created_at=now)
            session.add(a)
        else:
            a.mode, a.reason, a.actor, a.created_at = mode, reason.strip(), actor, now
        out.append(a)
    audit.record(session, "items_annulled", actor=actor, exam_id=exam.id, reason=reason.strip(), mode=mode,
                 item_versions=ids)
    session.flush()
    return out


def versions_of_items(session: Session, item_uids: Iterable[str]) -> list[int]:
    """Every version id of the items with these uids (an annulment usually covers all wordings)."""
    from ground.models import Item

    uids = sorted(set(item_uids))
    rows = list(session.execute(select(Item.uid, ItemVersion.id).join(ItemVersion).where(Item.uid.in_(uids))))
    missing = set(uids) - {u for u, _ in rows}
    if missing:
        raise RescoreError(_("unknown item uid(s): %(uids)s", uids=", ".join(sorted(missing))))
    return [v for _, v in rows]


AnswerRow = tuple[int, int | None, list[int] | None]  # (item version id, option id, option ids) as stored


def paper_answers(session: Session, paper_id: int) -> list[AnswerRow]:
    """A paper's stored answers as rows (one read, for the score and the receipt of one submit)."""
    return [tuple(r) for r in session.execute(  # type: ignore[misc]
        select(Answer.item_version_id, Answer.option_id, Answer.option_ids).where(Answer.paper_id == paper_id)
    )]


def points_for_paper(
    session: Session, paper: Paper, answers: Iterable[AnswerRow] | None = None
) -> dict[str, float]:
    """One paper's subtest points from its stored answers (``answers``: read already, in the same transaction), with
    the exam's annulments applied (submit path)."""
    versions = layout_versions(paper.layout)
    points: dict[int, dict[int, float]] = defaultdict(dict, bank_seal.option_points(session, versions))
    rows = paper_answers(session, paper.id) if answers is None else answers
    chosen = {v: stored_choice(o, many) for v, o, many in rows}
    annulled = {v: m for v, m in session.execute(
        select(Annulment.item_version_id, Annulment.mode).where(Annulment.exam_id == paper.exam_id)
    )}
    return subtest_points(paper.layout, chosen, points, annulled, bank_seal.score_bounds(session, versions))


def _snapshot(total: float, subtests: dict[str, float], passed: bool, reasons: list[str]) -> dict[str, Any]:
    return {"total": total, "subtests": dict(subtests), "passed": passed, "reasons": list(reasons)}


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a["passed"] != b["passed"] or a["reasons"] != b["reasons"] or set(a["subtests"]) != set(b["subtests"]):
        return False
    if abs(float(a["total"]) - float(b["total"])) > 1e-9:
        return False
    return all(abs(float(a["subtests"][k]) - float(b["subtests"][k])) <= 1e-9 for k in a["subtests"])


@dataclass
class _Layouts:
    """The questions of the papers scored as arrays, one entry per (paper, question) in layout order: first the papers
    read from their JSON, then (from ``indexed_from`` on) the indexed ones."""

    row: np.ndarray  # int64: the paper's row in the papers list
    sub: np.ndarray  # int64: the subtest's column in the rules' order
    version: np.ndarray  # int64
    starts: np.ndarray  # int64: the flat index each JSON subtest block of questions begins at
    blocks: list[list[dict[str, Any]]]  # each JSON block's questions as the layout holds them (rare exact cases)
    exact: set[int]  # rows the reference function scores: a layout the arrays cannot stand for
    indexed_from: int  # the first flat index of an indexed paper's question


def _flatten(layouts: list[Any], codes: list[str], shown_as: Callable[[list[int]], list[set[int]]],
             indexed: FlatIndex | None = None) -> _Layouts:
    """Every paper's questions as arrays; a paper whose subtests are not exactly the rules' (each once), or where a
    question shows options other than its version's (``shown_as``: each version's option ids), is left to the
    reference function (``exact``). The papers ``indexed`` holds come from there (their options were checked when
    they were issued); their ``layouts`` entries are not read."""
    index = {c: i for i, c in enumerate(codes)}
    get_v, get_o = itemgetter("v"), itemgetter("o")
    versions: list[int] = []
    block_rows: list[int] = []
    block_subs: list[int] = []
    block_sizes: list[int] = []
    blocks: list[list[dict[str, Any]]] = []
    exact: set[int] = set()
    skip = indexed.subtests if indexed is not None else [None] * len(layouts)
    for i, layout in enumerate(layouts):
        if skip[i] is not None:
            continue
        subtests = (layout or {}).get("subtests", [])
        got = [str(st["code"]) for st in subtests]
        if len(got) != len(codes) or set(got) != set(codes):
            exact.add(i)
            continue
        mark = (len(versions), len(blocks))
        try:
            for st, code in zip(subtests, got, strict=True):
                qs = st.get("questions", [])
                vs = list(map(int, map(get_v, qs)))
                if shown_as(vs) != list(map(set, map(get_o, qs))):
                    break
                versions.extend(vs)
                block_rows.append(i)
                block_subs.append(index[code])
                block_sizes.append(len(vs))
                blocks.append(qs)
            else:
                continue
        except KeyError:  # a question without "o" (or "v"): as the reference takes it
            pass
        exact.add(i)  # shown options differ from the version's: undo this paper's blocks
        del versions[mark[0]:], block_rows[mark[1]:], block_subs[mark[1]:], block_sizes[mark[1]:], blocks[mark[1]:]
    sizes = np.asarray(block_sizes, dtype=np.int64)
    starts = np.zeros(len(sizes), dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    row = np.repeat(np.asarray(block_rows, dtype=np.int64), sizes)
    sub = np.repeat(np.asarray(block_subs, dtype=np.int64), sizes)
    version = np.asarray(versions, dtype=np.int64)
    indexed_from = len(version)
    if indexed is not None and len(indexed.version):
        column = np.asarray([index.get(c, -1) for c in indexed.codes], dtype=np.int64)
        fits = {s: sorted(column[list(s)].tolist()) == list(range(len(codes)))
                for s in set(indexed.subtests) if s is not None}  # the rules' subtests, each once
        for i, s in enumerate(indexed.subtests):
            if s is not None and not fits[s]:
                exact.add(i)
        keep = np.ones(len(indexed.row), dtype=bool)
        if exact:
            keep = ~np.isin(indexed.row, np.fromiter(exact, dtype=np.int64, count=len(exact)))
        row = np.concatenate([row, indexed.row[keep]])
        sub = np.concatenate([sub, column[indexed.sub[keep]]])
        version = np.concatenate([version, indexed.version[keep]])
    return _Layouts(row, sub, version, starts, blocks, exact, indexed_from)


def _question(flat: _Layouts, at: int, option_sets: dict[int, set[int]]) -> dict[str, Any]:
    """The layout's question behind flat index ``at`` (an indexed paper's: its version showing all its options)."""
    if at >= flat.indexed_from:
        v = int(flat.version[at])
        return {"v": v, "o": sorted(option_sets[v])}
    b = int(np.searchsorted(flat.starts, at, side="right")) - 1
    return flat.blocks[b][at - int(flat.starts[b])]


def exam_points(
    session: Session,
    exam: Exam,
    paper_ids: np.ndarray,
    layouts: list[Any],
    codes: list[str],
    annulled: dict[int, str],
    indexed: FlatIndex | None = None,
) -> tuple[np.ndarray, dict[int, dict[str, float]]]:
    """Every finished paper's subtest points at once: an (n, len(codes)) matrix in ``codes`` order, and for the rows
    the reference :func:`subtest_points` scored instead (odd layouts) their dicts, which win over the matrix.

    The same rules as :func:`subtest_points`, as array operations: a single answer's points are looked up by
    (version, option) in a sorted table of clamped points; an answer to a version the paper did not show counts
    nothing; annulled questions give their best (award) or nothing (drop), answered or not; the points add up per
    (paper, subtest) in layout order, as the reference adds them. Multiple-response answers go through
    :func:`question_points` itself. The papers ``indexed`` holds are read from there (``layouts`` has None for them,
    and the JSON is read only for one the arrays cannot stand for)."""
    points: dict[int, dict[int, float]] = {}  # read as the papers name them (a whole exam's in the first few)
    option_sets: dict[int, set[int]] = {}

    def learn(vs: Iterable[int]) -> None:
        new = sorted(set(vs) - points.keys())
        got = bank_seal.option_points(session, new)
        for v in new:
            points[v] = got.get(v, {})
            option_sets[v] = set(points[v])

    def shown_as(vs: list[int]) -> list[set[int]]:
        try:
            return list(map(option_sets.__getitem__, vs))
        except KeyError:
            learn(vs)
            return list(map(option_sets.__getitem__, vs))

    n, k = len(layouts), len(codes)
    flat = _flatten(layouts, codes, shown_as, indexed)
    if indexed is not None:
        learn(distinct_ids(indexed.version)[0].tolist())
    for r in flat.exact:
        learn(layout_versions(layouts[r] or {}))
    bounds = bank_seal.score_bounds(session, points)
    value = np.zeros(len(flat.version), dtype=np.float64)
    key = paper_ids[flat.row] << 32 | flat.version
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    repeated = order[np.flatnonzero(sorted_key[1:] == sorted_key[:-1])]
    odd = np.flatnonzero((flat.version < 0) | (flat.version > 0x7FFFFFFF))
    flat.exact |= {int(r) for r in flat.row[np.r_[repeated, odd]]}  # a version twice on a paper, or no id at all

    def where(pids: np.ndarray, vids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(which of the given answers are to a question on their paper, its flat index)."""
        want = pids << 32 | vids
        pos = np.minimum(np.searchsorted(sorted_key, want), max(len(sorted_key) - 1, 0))
        hit = sorted_key[pos] == want if len(sorted_key) else np.zeros(len(want), dtype=bool)
        return hit, order[pos[hit]]

    # an option id is one version's: its points are found by the id alone, then checked against the answer's version
    opt_ids = np.array([o for opts in points.values() for o in opts], dtype=np.int64)
    opt_version = np.array([v for v, opts in points.items() for _o in opts], dtype=np.int64)
    opt_value = np.array([clamp(float(p), bounds.get(v)) for v, opts in points.items() for p in opts.values()],
                         dtype=np.float64)
    finished = (Answer.paper_id == Paper.id) & (Paper.exam_id == exam.id) & (Paper.state == "finished")
    single = int_columns(session, select(Answer.paper_id, Answer.item_version_id, Answer.option_id)
                         .join(Paper, finished).where(Answer.option_id.is_not(None)), 3)
    hit, at = where(single[:, 0], single[:, 1])
    pos = id_positions(opt_ids, single[hit, 2])
    known = pos >= 0
    known[known] &= opt_version[pos[known]] == flat.version[at[known]]  # an option of another question scores 0
    value[at[known]] = opt_value[pos[known]]
    many = session.execute(select(Answer.paper_id, Answer.item_version_id, Answer.option_ids).join(Paper, finished)
                           .where(Answer.option_id.is_(None), Answer.option_ids.is_not(None))).all()
    if many:
        hit_m, at_m = where(np.array([r[0] for r in many], dtype=np.int64), np.array([r[1] for r in many],
                                                                                       dtype=np.int64))
        for (_pid, v, chosen), i in zip([r for r, h in zip(many, hit_m, strict=True) if h], at_m, strict=True):
            value[i] = question_points(_question(flat, int(i), option_sets), stored_choice(None, chosen), points[v],
                                       bounds.get(v))
    for v, mode in annulled.items():
        on = np.flatnonzero(flat.version == v)
        for i in on if mode == AWARD else ():
            value[i] = best_points(_question(flat, int(i), option_sets), points[v], bounds.get(v))
        if mode == DROP:  # any other mode scores as answered, as subtest_points takes it
            value[on] = 0.0
    scores = np.bincount(flat.row * k + flat.sub, weights=value, minlength=n * k).reshape(n, k)
    exact: dict[int, dict[str, float]] = {}
    if flat.exact:
        rows = sorted(flat.exact)
        pids = paper_ids[rows]
        unread = [r for r in rows if layouts[r] is None and indexed is not None and indexed.subtests[r] is not None]
        if unread:  # indexed papers the arrays cannot stand for: the reference reads their JSON
            got = layouts_of(session, paper_ids[unread].tolist())
            layouts = list(layouts)
            for r in unread:
                layouts[r] = got.get(int(paper_ids[r]))
        chosen: dict[int, dict[int, Choice]] = {int(p): {} for p in pids}
        mine = np.isin(single[:, 0], pids)
        for pid, v, o in single[mine].tolist():
            chosen[pid][v] = o
        for pid, v, opts in many:
            if pid in chosen:
                chosen[pid][v] = stored_choice(None, opts)
        for r, pid in zip(rows, pids.tolist(), strict=True):
            exact[r] = subtest_points(layouts[r] or {}, chosen[pid], points, annulled, bounds)
    return scores, exact


@gc_paused_call
def rescore_exam(session: Session, exam: Exam, reason: str, actor: str = "system") -> RescoreReport:
    """Recompute every finished paper's result with the current annulments; log each change.

    An array job (:func:`exam_points`, :func:`grade_matrix`): columns, not ORM objects, are read, and the changed
    results and their log rows are written in batches: an exam of 100,000 papers is one pass, not 100,000
    flushes."""
    if not reason or not reason.strip():
        raise RescoreError(_("a rescoring needs a reason (it is logged with every changed result)"))
    why = reason.strip()
    session.flush()
    rules = exam_rules(exam)
    codes = list(rules.subtests)
    papers = session.execute(
        select(Paper.id, Paper.candidate_id, Paper.layout_index, layout_text())
        .where(Paper.exam_id == exam.id, Paper.state == "finished").order_by(Paper.id)
    ).all()
    annulled = dict(session.execute(
        select(Annulment.item_version_id, Annulment.mode).where(Annulment.exam_id == exam.id)
    ).all())
    paper_ids = np.array([p.id for p in papers], dtype=np.int64)
    read = read_layouts(session, paper_ids.tolist(), [p[2] for p in papers], [p[3] for p in papers])
    layouts = [read.json.get(i) for i in range(len(papers))]
    scores, exact = exam_points(session, exam, paper_ids, layouts, codes, annulled, read.flat)
    results = {r.paper_id: r for r in session.execute(
        select(Result.id, Result.paper_id, Result.total, Result.subtests, Result.passed, Result.reasons, Result.code)
        .where(Result.exam_id == exam.id)
    )}
    candidates = {c.id: c for c in session.execute(
        select(Candidate.id, Candidate.participant_no, Candidate.entry_path).where(Candidate.exam_id == exam.id)
    )}
    paths = [candidates[p.candidate_id].entry_path for p in papers]
    path_index, path_names = path_codes(paths, rules)
    graded = grade_matrix(scores, rules, path_index, path_names)
    report = RescoreReport(exam.code)
    now = clock.now()
    note = f"rescored: {why}"
    rows = scores.tolist()
    totals = [float(sum(r)) for r in rows]  # as grade() adds them, in the rules' order
    passed, short = graded.passed.tolist(), graded.short.tolist()
    for i in np.flatnonzero(np.asarray(totals) != graded.total).tolist():  # numpy added in another order: the
        exact.setdefault(i, dict(zip(codes, rows[i], strict=True)))  # reference grades the row (never seen yet)
    afters: list[tuple[dict[str, Any], dict[str, Any]] | None] = []  # (before, after); None: the result stands
    ranked: dict[int, Any] = {}  # candidate id → the subtest scores the ranking reads (as stored after this run)
    for i, paper in enumerate(papers):
        cand = candidates[paper.candidate_id]
        if i in exact:
            outcome = grade(exact[i], rules, cand.entry_path)
            after = _snapshot(outcome.total, outcome.subtests, outcome.passed, outcome.reasons)
        else:
            reasons = reasons_for(short[i], rows[i], rules, path_names[path_index[i]]) if short[i] else []
            after = {"total": totals[i], "subtests": dict(zip(codes, rows[i], strict=True)), "passed": passed[i],
                     "reasons": reasons}
        result = results.get(paper.id)
        before = {} if result is None else _snapshot(result.total, result.subtests, result.passed,
                                                     list(result.reasons or []))
        same = result is not None and _same(before, after)
        afters.append(None if same else (before, after))
        ranked[cand.id] = result.subtests if same else after["subtests"]  # type: ignore[union-attr]
    # mid-exam the codes wait for the announcement, which refuses until then; else they go with the results
    code_of = None if open_papers(session, exam) else skd_codes(session, exam, ranked)
    updates: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    recoded: list[dict[str, Any]] = []  # results whose scores stand but whose code moved with the others'
    logs: list[dict[str, Any]] = []  # result_id filled in for new results once they have ids
    for paper, change in zip(papers, afters, strict=True):
        cand = candidates[paper.candidate_id]
        result = results.get(paper.id)
        report.checked += 1
        code = {} if code_of is None else {"code": code_of[cand.id]}
        if change is None:
            if code and code["code"] != result.code:  # type: ignore[union-attr]
                recoded.append({"id": result.id, **code})  # type: ignore[union-attr]
            continue
        before, after = change
        values = {"total": after["total"], "subtests": dict(after["subtests"]), "passed": after["passed"],
                  "reasons": list(after["reasons"]), "computed_at": now, "note": note, **code}
        if result is not None:
            updates.append({"id": result.id, **values})
        else:
            inserts.append({"paper_id": paper.id, "exam_id": exam.id, "candidate_id": cand.id, **values})
        logs.append({"exam_id": exam.id, "result_id": result.id if result is not None else None,
                     "candidate_id": cand.id, "before": before, "after": after, "reason": why, "actor": actor,
                     "at": now, "paper_id": paper.id})
        report.changed.append(RescoreChange(cand.participant_no, before, after))
    if recoded:
        session.execute(update(Result), recoded)
    if updates:
        session.execute(update(Result), updates)
    if inserts and session.get_bind().dialect.name == "postgresql":  # by COPY, with ids from the sequence
        for row, rid in zip(inserts, reserve_ids(session, Result.__table__, len(inserts)), strict=True):
            row["id"] = rid
        copy_rows(session, Result.__table__, inserts)
        new_ids = {row["paper_id"]: row["id"] for row in inserts}
    elif inserts:
        new_ids = dict(session.execute(insert(Result).returning(Result.paper_id, Result.id), inserts).all())
    for log in logs:
        if log["result_id"] is None:
            log["result_id"] = new_ids[log.pop("paper_id")]
        else:
            del log["paper_id"]
    copy_rows(session, RescoreLog.__table__, logs)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Result):  # the batched writes bypassed them: read again on next use
            session.expire(obj)
    audit.record(session, "exam_rescored", actor=actor, exam_id=exam.id, reason=why,
                 checked=report.checked, changed=len(report.changed), annulled=sorted(annulled))
    session.flush()
    return report


def preview_annulment(session: Session, exam: Exam, version_ids: Iterable[int], mode: str, reason: str,
                      actor: str = "system") -> RescoreReport:
    """What annulling would do to whom, by the very functions that would do it, then rolled back: nothing stays."""
    savepoint = session.begin_nested()
    try:
        annul_items(session, exam, version_ids, mode, reason, actor)
        return rescore_exam(session, exam, reason, actor)
    finally:
        savepoint.rollback()
        session.expire_all()


@dataclass(frozen=True)
class ShownItem:
    """An item version that was on at least one paper of the exam: what an annulment can name."""

    version_id: int
    uid: str
    subtest: str
    version: int
    papers: int
    annulled: str | None  # the current annulment's mode, if any


@gc_paused_call
def shown_items(session: Session, exam: Exam) -> list[ShownItem]:
    """Every item version on a paper of the exam, by subtest and uid, with how many papers showed it."""
    from ground.models import Item

    rows = session.execute(select(Paper.id, Paper.layout_index, layout_text()).where(Paper.exam_id == exam.id)).all()
    read = read_layouts(session, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    counts: dict[int, int] = defaultdict(int)
    for layout in read.json.values():
        for v in layout_versions(layout or {}):
            counts[v] += 1
    vids, _first, seen = distinct_ids(read.flat.version)  # an indexed paper shows each version once
    for v, n in zip(vids.tolist(), seen.tolist(), strict=True):
        counts[v] += n
    modes = dict(session.execute(select(Annulment.item_version_id, Annulment.mode)
                                 .where(Annulment.exam_id == exam.id)).all())
    out = []
    for chunk in id_chunks(counts):
        for vid, uid, subtest, version in session.execute(
            select(ItemVersion.id, Item.uid, Item.subtest, ItemVersion.version).join(Item)
            .where(ItemVersion.id.in_(chunk))
        ):
            out.append(ShownItem(vid, uid, subtest or "", version, counts[vid], modes.get(vid)))
    return sorted(out, key=lambda i: (i.subtest, i.uid, i.version))
