"""One call from a response matrix to every statistic, fit and flag, per subtest (pure, no database)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scoring.analysis.classical import CURVE_GROUPS, ClassicalResult, TestStatistics, classical_statistics
from scoring.analysis.flags import Flag, FlagRules, item_flags
from scoring.analysis.irt import IrtFit, eap_scores, fit_2pl, icc
from scoring.analysis.responses import ResponseMatrix

MIN_IRT_ITEMS = 3
MIN_IRT_CANDIDATES = 50
IRT_SAMPLE = 200_000  # larger subtests calibrate items on a seeded random sample, then score everyone (EAP)


@dataclass
class Subtest:
    """Which columns of the matrix form a subtest, and what to call it."""

    code: str
    title: str
    columns: list[int]


@dataclass
class SubtestAnalysis:
    """Everything known about one subtest's items after an exam."""

    code: str
    title: str
    rm: ResponseMatrix
    classical: ClassicalResult
    irt: IrtFit | None  # fitted on ``irt_columns`` (the right/wrong items), None when there are too few
    irt_columns: np.ndarray
    flags: list[list[Flag]]
    irt_note: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def irt_for(self, j: int) -> dict[str, float] | None:
        """The 2PL estimates of item ``j`` (a column of ``rm``), or None."""
        if self.irt is None:
            return None
        pos = np.flatnonzero(self.irt_columns == j)
        if pos.size == 0 or not self.irt.fitted[pos[0]]:
            return None
        i = int(pos[0])
        return {"a": float(self.irt.a[i]), "b": float(self.irt.b[i]), "se_a": float(self.irt.se_a[i]),
                "se_b": float(self.irt.se_b[i])}

    def group_theta(self) -> np.ndarray | None:
        """Mean EAP ability of each score group (the x positions of the option curves), or None without a fit."""
        groups = self.classical.curve_groups
        if self.irt is None or self.irt.theta is None or groups is None:
            return None
        counts = np.bincount(groups, minlength=CURVE_GROUPS).astype(np.float64)
        sums = np.bincount(groups, weights=self.irt.theta, minlength=CURVE_GROUPS)
        with np.errstate(invalid="ignore", divide="ignore"):
            return sums / counts

    def model_curve(self, j: int) -> list[float] | None:
        """The 2PL probability of the key at each score group's mean ability: the model's option curve."""
        est, theta = self.irt_for(j), self.group_theta()
        if est is None or theta is None:
            return None
        return [float(v) for v in icc(est["a"], est["b"], theta)]


def analyse(rm: ResponseMatrix, subtests: list[Subtest] | None = None, *, rules: FlagRules = FlagRules(),
            irt: bool = True, quadrature_points: int = 61, irt_sample: int = IRT_SAMPLE) -> list[SubtestAnalysis]:
    """Classical statistics, a 2PL fit of each subtest's right/wrong items, and flags, per subtest."""
    if subtests is None:
        subtests = [Subtest("all", "", list(range(rm.k)))]
    out = []
    for st in subtests:
        sub = rm.select(st.columns)
        res = classical_statistics(sub)
        fit, cols, note = None, np.flatnonzero(sub.dichotomous), None
        if irt and cols.size >= MIN_IRT_ITEMS and sub.n >= MIN_IRT_CANDIDATES:
            x = sub.correct()[:, cols]
            pres = None if sub.presented is None else sub.presented[:, cols]
            if sub.n > irt_sample:
                pick = np.sort(np.random.default_rng(sub.n).choice(sub.n, size=irt_sample, replace=False))
                fit = fit_2pl(x[pick], None if pres is None else pres[pick], quadrature_points=quadrature_points,
                              eap=False)
                fit.theta, fit.theta_se, _ll = eap_scores(fit, x, pres)
                note = f"items calibrated on a random sample of {irt_sample:,} of {sub.n:,} candidates"
            else:
                fit = fit_2pl(x, pres, quadrature_points=quadrature_points)
        elif irt:
            note = "not enough right/wrong items or candidates for a 2PL fit"
        out.append(SubtestAnalysis(st.code, st.title, sub, res, fit, cols, item_flags(sub, res, rules), note))
    return out


def whole_test(rm: ResponseMatrix) -> TestStatistics:
    """Mean, SD, reliability, SEM and distribution of the total over every item (all subtests together)."""
    return classical_statistics(rm, options=False).test
