"""Ability estimates from the database: stored 2PL calibrations read back, papers scored into (theta, se).

The item analysis (``scoring.store.analysis``) writes each item version's 2PL ``irt_a``/``irt_b`` per exam and
subtest into ``item_statistics``; each subtest's calibration has its own scale (that exam's candidates ~ N(0, 1)).
Here a finished paper's right/wrong answers are scored by EAP per subtest (``scoring.analysis.ability.eap``), on
the scale of its own exam's calibration or, with ``scale_exam_id``, on another exam's scale:

- the paper's exam has its own calibration: it is linked to the scale exam per subtest by Stocking-Lord on the
  anchor items (the item versions calibrated in both), and all the paper's calibrated items are scored;
- the paper's exam has none (for that subtest): the scale exam's own parameters score the items the paper
  shares with it.

The prior is N(0, 1) on the scale exam's scale (its population).

A subtest with no usable calibration (e.g. TKP, whose items are not right/wrong; or fewer than ``MIN_ANCHORS``
anchors) is left out: its ability would not be comparable. Annulled item versions are not scored. See
docs/ability.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import bank_seal
from ground.models import Answer, Paper
from ground.models.analysis import ItemStatistic
from ground.models.scoring import Annulment
from scoring.analysis.ability import eap, link
from scoring.points import best_points, clamp, question_points, stored_choice

MIN_ANCHORS = 5  # fewer common calibrated items per subtest: no link (the constants would be noise)
TOLERANCE = 1e-9


@dataclass(frozen=True)
class ItemParameters:
    """An exam's stored 2PL parameters for some item versions (same order in every array/tuple)."""

    exam_id: int
    item_version_ids: tuple[int, ...]
    subtests: tuple[str, ...]
    a: np.ndarray
    b: np.ndarray
    computed_at: datetime | None  # the calibration's time (the newest row's)

    def of(self, version_id: int) -> tuple[float, float] | None:
        """(a, b) of one version, or None."""
        try:
            j = self.item_version_ids.index(version_id)
        except ValueError:
            return None
        return float(self.a[j]), float(self.b[j])

    def subtest(self, code: str) -> ItemParameters:
        """Only the versions of one subtest (one calibration scale)."""
        keep = [j for j, s in enumerate(self.subtests) if s == code]
        return ItemParameters(self.exam_id, tuple(self.item_version_ids[j] for j in keep), (code,) * len(keep),
                              self.a[keep], self.b[keep], self.computed_at)


@dataclass(frozen=True)
class Ability:
    """One paper's EAP ability in one subtest, on the scale of exam ``scale_exam_id``."""

    subtest: str
    theta: float
    se: float
    n_items: int  # right/wrong items scored
    scale_exam_id: int
    linked: bool  # True: the paper's exam calibration was linked to the scale exam's (Stocking-Lord)
    link_A: float = 1.0
    link_B: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"subtest": self.subtest, "theta": self.theta, "se": self.se, "n_items": self.n_items,
                "scale_exam_id": self.scale_exam_id, "linked": self.linked, "link_A": self.link_A,
                "link_B": self.link_B}


def stored_parameters(session: Session, exam_id: int, item_version_ids: Iterable[int] | None = None
                      ) -> ItemParameters | None:
    """The 2PL parameters the item analysis of exam ``exam_id`` stored, for the given versions (all when None).

    Versions without a fitted a and b (not right/wrong, not fitted, never analysed) are left out; None when none
    of them has parameters (no calibration).
    """
    q = select(ItemStatistic.item_version_id, ItemStatistic.subtest, ItemStatistic.irt_a, ItemStatistic.irt_b,
               ItemStatistic.computed_at).where(ItemStatistic.exam_id == exam_id, ItemStatistic.irt_a.is_not(None),
                                                ItemStatistic.irt_b.is_not(None))
    wanted: list[int] | None = None
    if item_version_ids is not None:
        wanted = list(dict.fromkeys(int(v) for v in item_version_ids))
        if not wanted:
            return None
        q = q.where(ItemStatistic.item_version_id.in_(wanted))
    rows = {int(v): (str(s), float(a), float(b), t) for v, s, a, b, t in session.execute(q)
            if np.isfinite(a) and np.isfinite(b)}
    if not rows:
        return None
    order = [v for v in wanted if v in rows] if wanted is not None else sorted(rows, key=lambda v: (rows[v][0], v))
    return ItemParameters(
        exam_id=exam_id, item_version_ids=tuple(order), subtests=tuple(rows[v][0] for v in order),
        a=np.array([rows[v][1] for v in order]), b=np.array([rows[v][2] for v in order]),
        computed_at=max(rows[v][3] for v in order),
    )


@dataclass(frozen=True)
class _SubtestScale:
    params: ItemParameters  # on the scale exam's scale already
    linked: bool
    A: float
    B: float


def _scales(session: Session, exam_id: int, scale_exam_id: int | None) -> dict[str, _SubtestScale]:
    """Per subtest: item parameters of ``exam_id``'s items on the scale of ``scale_exam_id``."""
    own = stored_parameters(session, exam_id)
    target = exam_id if scale_exam_id is None else scale_exam_id
    if target == exam_id:
        if own is None:
            return {}
        return {s: _SubtestScale(own.subtest(s), False, 1.0, 0.0) for s in dict.fromkeys(own.subtests)}
    ref = stored_parameters(session, target)
    if ref is None:
        return {}
    out: dict[str, _SubtestScale] = {}
    mine_subtests = set() if own is None else set(own.subtests)
    for s in dict.fromkeys(ref.subtests):
        if s not in mine_subtests:  # no calibration of its own: the scale exam's parameters, no linking needed
            out[s] = _SubtestScale(ref.subtest(s), False, 1.0, 0.0)
    if own is None:
        return out
    for s in dict.fromkeys(own.subtests):
        mine, theirs = own.subtest(s), ref.subtest(s)
        pos = {v: j for j, v in enumerate(theirs.item_version_ids)}
        anchors = [(pos[v], j) for j, v in enumerate(mine.item_version_ids) if v in pos]
        if len(anchors) < MIN_ANCHORS:
            continue
        try:
            lk = link(theirs.a, theirs.b, mine.a, mine.b, anchors)
        except ValueError:
            continue
        linked = ItemParameters(exam_id, mine.item_version_ids, mine.subtests, lk.a, lk.b, mine.computed_at)
        out[s] = _SubtestScale(linked, True, lk.A, lk.B)
    return out


def _annulled(session: Session, exam_id: int) -> set[int]:
    return set(session.scalars(select(Annulment.item_version_id).where(Annulment.exam_id == exam_id)))


def _right_wrong(layout: dict[str, Any], chosen: dict[int, Any], key: dict[int, dict[int, float]],
                 bounds: dict[int, Any], skip: set[int]) -> dict[int, float]:
    """{version: 1.0 right / 0.0 wrong} for every question on the paper (a blank is wrong, as in the analysis)."""
    out: dict[int, float] = {}
    for sub in layout.get("subtests", []):
        for q in sub.get("questions", []):
            v = int(q["v"])
            opts = key.get(v)
            if v in skip or not opts:
                continue
            if q.get("m"):
                top = best_points(q, opts, bounds.get(v))
            else:
                top = max(clamp(p, bounds.get(v)) for p in opts.values())
            got = question_points(q, chosen.get(v), opts, bounds.get(v))
            out[v] = 1.0 if top > 0 and abs(got - top) <= TOLERANCE else 0.0
    return out


def _score(scales: dict[str, _SubtestScale], rows: list[dict[int, float]], scale_exam_id: int
           ) -> list[dict[str, Ability]]:
    out: list[dict[str, Ability]] = [{} for _ in rows]
    for code, sc in scales.items():
        vids = sc.params.item_version_ids
        x = np.array([[r.get(v, np.nan) for v in vids] for r in rows], dtype=np.float64).reshape(len(rows), len(vids))
        est = eap(x, sc.params.a, sc.params.b)
        for i in range(len(rows)):
            if est.n_items[i] == 0:
                continue  # the paper held none of these items: no evidence, no estimate
            out[i][code] = Ability(code, float(est.theta[i]), float(est.se[i]), int(est.n_items[i]), scale_exam_id,
                                   sc.linked, sc.A, sc.B)
    return out


def _papers_abilities(session: Session, exam_id: int, papers: list[tuple[int, dict[str, Any]]],
                      scale_exam_id: int | None) -> dict[int, dict[str, Ability]]:
    scales = _scales(session, exam_id, scale_exam_id)
    if not scales or not papers:
        return {}
    ids = [pid for pid, _l in papers]
    chosen: dict[int, dict[int, Any]] = {pid: {} for pid in ids}
    for i in range(0, len(ids), 500):
        for pid, vid, oid, oids in session.execute(
            select(Answer.paper_id, Answer.item_version_id, Answer.option_id, Answer.option_ids)
            .where(Answer.paper_id.in_(ids[i : i + 500]))
        ):
            chosen[pid][vid] = stored_choice(oid, oids)
    wanted = {v for sc in scales.values() for v in sc.params.item_version_ids}
    key = bank_seal.option_points(session, wanted)
    bounds = bank_seal.score_bounds(session, wanted)
    skip = _annulled(session, exam_id)
    rows = [_right_wrong(layout or {}, chosen[pid], key, bounds, skip) for pid, layout in papers]
    target = exam_id if scale_exam_id is None else scale_exam_id
    return {pid: ab for (pid, _l), ab in zip(papers, _score(scales, rows, target), strict=True) if ab}


def paper_ability(session: Session, paper_id: int, *, scale_exam_id: int | None = None
                  ) -> dict[str, Ability] | None:
    """A finished paper's EAP ability per subtest ({subtest code: Ability}), or None.

    None when the paper does not exist or is not finished, or no subtest has a usable calibration (see the module
    docstring). ``scale_exam_id``: report on that exam's scale (e.g. a programme's first sitting), else on the
    paper's own exam's.
    """
    row = session.execute(select(Paper.exam_id, Paper.layout, Paper.state).where(Paper.id == paper_id)).first()
    if row is None or row.state != "finished":
        return None
    return _papers_abilities(session, row.exam_id, [(paper_id, row.layout)], scale_exam_id).get(paper_id)


def exam_abilities(session: Session, exam_id: int, *, scale_exam_id: int | None = None,
                   paper_ids: Iterable[int] | None = None) -> dict[int, dict[str, Ability]]:
    """Every finished paper of an exam (or those of ``paper_ids``) scored as :func:`paper_ability` does, in one go.

    {paper id: {subtest code: Ability}}; papers with no estimate are absent (empty when there is no calibration).
    """
    q = select(Paper.id, Paper.layout).where(Paper.exam_id == exam_id, Paper.state == "finished")
    if paper_ids is not None:
        wanted = sorted({int(p) for p in paper_ids})
        if not wanted:
            return {}
        q = q.where(Paper.id.in_(wanted))
    papers = [(pid, layout) for pid, layout in session.execute(q.order_by(Paper.id))]
    return _papers_abilities(session, exam_id, papers, scale_exam_id)
