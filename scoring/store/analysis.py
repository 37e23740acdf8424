"""The database side of item analysis: an exam's papers and answers in, each item's statistics back to the bank."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ground import bank_seal, clock
from ground.bulk import distinct_ids, gc_paused_call, id_positions, int_columns
from ground.db import session_scope
from ground.i18n import _
from ground.models import Answer, Candidate, Exam, ItemVersion, Option, Paper
from ground.models.analysis import ItemStatistic
from scoring.analysis.pipeline import Subtest, SubtestAnalysis
from scoring.analysis.report import num
from scoring.analysis.responses import (
    NOT_PRESENTED,
    OMITTED,
    AnalysisInputError,
    ItemInfo,
    OptionInfo,
    ResponseMatrix,
    compact_scores,
    score_choices,
)
from scoring.points import Bounds, best_points, clamp, question_points
from scoring.store.paper_layouts import layout_text, layouts_of, questions, read_layouts

ANALYSED_STATES = ("finished",)  # papers still open or never started are not evidence about items
PLACE_ROWS = 1_000_000  # answers placed per slice: bounds the lookups' temporaries, not the speed


@dataclass
class ExamResponses:
    """An exam's response matrix with its subtests, ready for ``pipeline.analyse``."""

    exam_id: int
    code: str
    title: str
    matrix: ResponseMatrix
    subtests: list[Subtest]


def _letters(count: int) -> list[str]:
    return [chr(ord("A") + i) if i < 26 else f"O{i + 1}" for i in range(count)]


def _title(layout: Any, code: str) -> str:
    """The title of the first subtest of ``code`` on a layout."""
    titles = (st.get("title", "") for st in (layout or {}).get("subtests", []) if str(st.get("code", "")) == code)
    return str(next(titles, ""))


@gc_paused_call
def load_exam_responses(session: Session, exam_code: str) -> ExamResponses:
    """Build the candidates × item-versions matrix of an exam's finished papers (options in bank order)."""
    exam = session.execute(select(Exam).where(Exam.code == exam_code)).scalar_one_or_none()
    if exam is None:
        raise AnalysisInputError(_("no exam with code %(code)s", code=exam_code))
    rows = session.execute(
        select(Paper.id, Paper.layout_index, layout_text(), Candidate.participant_no)
        .join(Candidate, Candidate.id == Paper.candidate_id)
        .where(Paper.exam_id == exam.id, Paper.state.in_(ANALYSED_STATES))
        .order_by(Candidate.participant_no)
    ).all()
    if not rows:
        raise AnalysisInputError(_("exam %(code)s has no finished papers to analyse", code=exam_code))
    read = read_layouts(session, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    papers = [(r[0], read.json.get(i), r[3]) for i, r in enumerate(rows)]  # the layout: only a paper without index
    flat = questions(read)

    # Columns: every item version any paper held, grouped by subtest in order of first appearance.
    sub_order: list[str] = []
    sub_titles: dict[str, str] = {}
    title_of: dict[str, int] = {}  # a code first met on an indexed paper → that paper's row (its JSON has the title)
    last: tuple[int, ...] | None = None
    for i, subs in enumerate(flat.subtests):
        if subs is last:  # indexed papers of one blueprint share their tuple
            continue
        last = subs
        for c in subs:
            code = flat.codes[c]
            if code not in sub_titles:
                sub_order.append(code)
                sub_titles[code] = _title(read.json[i], code) if i in read.json else ""
                if i not in read.json:
                    title_of[code] = i
    named = layouts_of(session, [papers[i][0] for i in title_of.values()])
    for code, i in title_of.items():
        sub_titles[code] = _title(named.get(papers[i][0]), code)
    sub_versions: dict[str, list[int]] = {code: [] for code in sub_order}
    shown, first, _count = distinct_ids(flat.version)
    by_first = np.argsort(first)
    for v, c in zip(shown[by_first].tolist(), flat.sub[first[by_first]].tolist(), strict=True):
        sub_versions[flat.codes[c]].append(v)
    shown_sets: dict[tuple[int, int], dict[str, Any]] = {}  # (paper, version) → the multiple-response question shown
    for i, layout in read.json.items():  # an indexed paper has none
        for st in (layout or {}).get("subtests", []):
            for q in st.get("questions", []):
                if q.get("m"):
                    shown_sets[(papers[i][0], int(q["v"]))] = q
    versions = [v for code in sub_order for v in sub_versions[code]]
    if not versions:
        raise AnalysisInputError(_("the papers of exam %(code)s hold no questions", code=exam_code))
    col_of = {v: j for j, v in enumerate(versions)}

    iv_rows = session.execute(select(ItemVersion.id, ItemVersion.item_id).where(ItemVersion.id.in_(versions))).all()
    item_of = {vid: iid for vid, iid in iv_rows}
    opt_rows = session.execute(
        select(Option.id, Option.item_version_id, Option.position)
        .where(Option.item_version_id.in_(versions))
        .order_by(Option.item_version_id, Option.position, Option.id)
    ).all()
    key = bank_seal.option_points(session, versions)  # the points are sealed at rest: opened in memory only
    bounds = bank_seal.score_bounds(session, versions)  # one answer per item: its score is its option's, clamped
    multiple = {v for _p, v in shown_sets}  # a set per answer: the item scores the clamped sum (no option analysis)
    options: dict[int, list[tuple[int, float]]] = {v: [] for v in versions}
    for oid, vid, _pos in opt_rows:
        options[vid].append((oid, clamp(key[vid][oid], bounds.get(vid))))
    option_index: dict[int, tuple[int, int]] = {}  # option id -> (column, index within the item)
    items: list[ItemInfo] = []
    for code in sub_order:
        for v in sub_versions[code]:
            opts = options[v]
            if not opts:
                raise AnalysisInputError(_("item version %(id)d has no options", id=v))
            for idx, (oid, _pts) in enumerate(opts):
                option_index[oid] = (col_of[v], idx)
            if v in multiple:
                items.append(ItemInfo(id=f"{code}-{v}", max_points=best_points({"m": True}, key[v], bounds.get(v)),
                                      subtest=code, item_id=item_of.get(v), item_version_id=v))
                continue
            labels = _letters(len(opts))
            infos = tuple(OptionInfo(labels[i], pts) for i, (_oid, pts) in enumerate(opts))
            items.append(ItemInfo(id=f"{code}-{v}", max_points=max(p for _o, p in opts), options=infos,
                                  subtest=code, item_id=item_of.get(v), item_version_id=v))

    n, k = len(papers), len(versions)
    choices = np.full((n, k), NOT_PRESENTED, dtype=np.int8)
    version_ids = np.array(versions, dtype=np.int64)
    choices[flat.row, id_positions(version_ids, flat.version)] = OMITTED  # every shown version is a column
    # Answers arrive as one int array (packed per paper on PostgreSQL) and are placed with id lookups, not per-row
    # dicts.
    paper_ids = np.array([pid for pid, _l, _n in papers], dtype=np.int64)
    opt_ids = np.array(list(option_index), dtype=np.int64)
    opt_cols = np.array([c for c, _i in option_index.values()], dtype=np.int64)
    opt_idx = np.array([i for _c, i in option_index.values()], dtype=np.int8)
    answers = int_columns(session, select(Answer.paper_id, Answer.item_version_id, Answer.option_id)
                          .join(Paper, Paper.id == Answer.paper_id)
                          .where(Paper.exam_id == exam.id, Paper.state.in_(ANALYSED_STATES),
                                 Answer.option_id.is_not(None)), 3)
    opt_version = version_ids[opt_cols]  # an answer's option must be one of its own question's
    for start in range(0, len(answers), PLACE_ROWS):
        arr = answers[start : start + PLACE_ROWS]
        heads = np.flatnonzero(np.r_[True, arr[1:, 0] != arr[:-1, 0]])  # grouped by paper: one lookup per run
        runs = np.diff(np.r_[heads, len(arr)])
        rows = np.repeat(id_positions(paper_ids, arr[heads, 0]), runs)
        opts = id_positions(opt_ids, arr[:, 2])
        ok = (rows >= 0) & (opts >= 0)
        ok[ok] &= opt_version[opts[ok]] == arr[ok, 1]
        cols = opt_cols[opts]
        ok[ok] &= choices[rows[ok], cols[ok]] != NOT_PRESENTED
        if not ok.all():
            pid, vid, oid = (int(v) for v in arr[int(np.argmin(ok))])
            raise AnalysisInputError(
                _("answer of paper %(paper)d to item version %(version)d names option %(option)d, which is not "
                  "one of that question's options on the paper", paper=pid, version=vid, option=oid))
        choices[rows, cols] = opt_idx[opts]
    scores = score_choices(choices, items)
    if multiple:
        scores = _set_scores(session, exam.id, papers, shown_sets, key, bounds, choices, col_of, scores)
    presented = choices != NOT_PRESENTED
    matrix = ResponseMatrix([no for _p, _l, no in papers], items, scores, choices=choices, presented=presented)
    subtests, start = [], 0
    for code in sub_order:
        size = len(sub_versions[code])
        subtests.append(Subtest(code, sub_titles[code], list(range(start, start + size))))
        start += size
    return ExamResponses(exam.id, exam.code, exam.title, matrix, subtests)


def _set_scores(
    session: Session, exam_id: int, papers: list[Any], shown: dict[tuple[int, int], dict[str, Any]],
    key: dict[int, dict[int, float]], bounds: dict[int, Bounds], choices: np.ndarray, col_of: dict[int, int],
    scores: np.ndarray,
) -> np.ndarray:
    """Multiple-response answers into the matrix: each scores its chosen options' sum, clamped as on the paper."""
    row_of = {pid: i for i, (pid, _l, _n) in enumerate(papers)}
    out = scores.astype(np.float64)
    for pid, vid, many in session.execute(
        select(Answer.paper_id, Answer.item_version_id, Answer.option_ids)
        .join(Paper, Paper.id == Answer.paper_id)
        .where(Paper.exam_id == exam_id, Paper.state.in_(ANALYSED_STATES), Answer.option_ids.is_not(None),
               Answer.item_version_id.in_(sorted({v for _p, v in shown})))
    ):
        q = shown.get((pid, vid))
        stray = [o for o in many or () if q is None or o not in q["o"]]
        if stray:
            raise AnalysisInputError(
                _("answer of paper %(paper)d to item version %(version)d names option %(option)d, which is not "
                  "one of that question's options on the paper", paper=pid, version=vid, option=stray[0]))
        if q is not None and many:
            i, j = row_of[pid], col_of[vid]
            choices[i, j] = 0  # answered (an item without option details: no distractor table reads the index)
            out[i, j] = question_points(q, many, key[vid], bounds.get(vid))
    return compact_scores(out)


def save_item_statistics(session: Session, exam_id: int, analyses: list[SubtestAnalysis]) -> int:
    """Replace the exam's rows in ``item_statistics`` with these results; returns the number of rows."""
    now = clock.now()
    session.execute(delete(ItemStatistic).where(ItemStatistic.exam_id == exam_id))
    rows = 0
    for an in analyses:
        c = an.classical
        for j, it in enumerate(an.rm.items):
            if it.item_version_id is None or it.item_id is None:
                continue
            irt = an.irt_for(j) or {}
            session.add(ItemStatistic(
                exam_id=exam_id, item_id=it.item_id, item_version_id=it.item_version_id, subtest=an.code,
                computed_at=now, n=int(c.n[j]), p=num(c.p[j], 6), point_biserial=num(c.point_biserial[j], 6),
                corrected_r=num(c.corrected_r[j], 6), alpha_if_deleted=num(c.alpha_if_deleted[j], 6),
                upper_lower=num(c.upper_lower[j], 6), omit_rate=num(c.omit_rate[j], 6),
                irt_a=num(irt.get("a"), 6), irt_b=num(irt.get("b"), 6), irt_se_a=num(irt.get("se_a"), 6),
                irt_se_b=num(irt.get("se_b"), 6), flags=[f.code for f in an.flags[j]],
                details={"messages": [f.message for f in an.flags[j]], "max_points": it.max_points},
            ))
            rows += 1
    session.flush()
    return rows


def item_history(session: Session, item_id: int) -> list[dict[str, Any]]:
    """Every exam's statistics of one bank item, oldest first (for the bank page and blueprint authors)."""
    rows = session.execute(
        select(ItemStatistic, Exam.code).join(Exam, Exam.id == ItemStatistic.exam_id)
        .where(ItemStatistic.item_id == item_id).order_by(ItemStatistic.computed_at, ItemStatistic.id)
    ).all()
    return [{"exam": code, "item_version_id": s.item_version_id, "computed_at": s.computed_at.isoformat(),
             "n": s.n, "p": s.p, "corrected_r": s.corrected_r, "irt_a": s.irt_a, "irt_b": s.irt_b,
             "flags": s.flags} for s, code in rows]


def latest_difficulty(session: Session, item_ids: list[int]) -> dict[int, float]:
    """The most recent difficulty p of each item that has one: what a blueprint draws by."""
    rows = session.execute(
        select(ItemStatistic.item_id, ItemStatistic.p)
        .where(ItemStatistic.item_id.in_(item_ids), ItemStatistic.p.is_not(None))
        .order_by(ItemStatistic.item_id, ItemStatistic.computed_at, ItemStatistic.id)
    ).all()
    out: dict[int, float] = {}
    for iid, p in rows:
        out[iid] = float(p)  # later rows overwrite earlier ones
    return out


@gc_paused_call
def analyse_exam(db_url: str, exam_code: str, *, write_back: bool = True, **kwargs: Any
                 ) -> tuple[ExamResponses, list[SubtestAnalysis]]:
    """Load an exam, analyse every subtest, and (by default) write the statistics back to the bank."""
    from scoring.analysis.pipeline import analyse

    with session_scope(db_url) as session:
        data = load_exam_responses(session, exam_code)
        analyses = analyse(data.matrix, data.subtests, **kwargs)
        if write_back:
            save_item_statistics(session, data.exam_id, analyses)
    return data, analyses


def exam_analysis(db_url: str, exam_code: str, *, write_back: bool = True, **kwargs: Any
                  ) -> tuple[dict[str, Any], list[SubtestAnalysis]]:
    """The full report of an exam (per subtest, plus the whole test when there are several) and the analyses."""
    from scoring.analysis.pipeline import whole_test
    from scoring.analysis.report import full_report

    data, analyses = analyse_exam(db_url, exam_code, write_back=write_back, **kwargs)
    total = whole_test(data.matrix) if len(analyses) > 1 else None
    return full_report(analyses, {"code": data.code, "title": data.title}, total), analyses


def exam_report(db_url: str, exam_code: str, *, write_back: bool = True, **kwargs: Any) -> dict[str, Any]:
    """Just the report of ``exam_analysis`` (what the committee page shows)."""
    return exam_analysis(db_url, exam_code, write_back=write_back, **kwargs)[0]
