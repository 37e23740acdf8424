"""Classical test theory, vectorised: item difficulty and discrimination, reliability, distractors by score group.

Everything comes from one pass over the score matrix in row chunks: the chunk is cast to float32 and its
Gram matrix X'X (BLAS) is added to a float64 accumulator. With integer points and chunks of 65,536 rows every
float32 partial sum is an exact integer (< 2^24), so the float64 totals are exact. Item-total cross-products
need no second product: the total is the row sum of the items, so sum_i x_ij t_i is row j of X'X summed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.analysis.responses import NOT_PRESENTED, ResponseMatrix

CHUNK_ROWS = 65_536
UPPER_LOWER_FRACTION = 0.27
CURVE_GROUPS = 5  # score groups (quintiles of the total) for option curves


@dataclass
class TestStatistics:
    """Whole-test (or subtest) figures: score mean and spread, reliability, measurement error, distribution."""

    n: int
    items: int
    mean: float
    sd: float
    min: float
    max: float
    max_possible: float
    kr20: float | None  # only when every item is right/wrong (then equal to alpha)
    alpha: float | None
    sem: float | None
    distribution: list[tuple[float, float, int]]  # (low, high, count) bins of the total score


@dataclass
class ClassicalResult:
    """Per-item arrays (length k) plus the test statistics; option tables when chosen options are known."""

    test: TestStatistics
    n: np.ndarray  # candidates who were presented each item
    p: np.ndarray  # difficulty: mean points / max points (proportion correct for right/wrong items)
    mean: np.ndarray
    point_biserial: np.ndarray  # item score vs total score (including the item)
    corrected_r: np.ndarray  # item score vs total of the *other* items
    alpha_if_deleted: np.ndarray
    upper_lower: np.ndarray  # p in the top 27 % minus p in the bottom 27 % (by total)
    omit_rate: np.ndarray
    p_upper: np.ndarray
    p_lower: np.ndarray
    # counts[j, g, s]: item j, score group g, slot s (0 = omitted, 1.. = option index + 1)
    option_counts_ul: np.ndarray | None = None  # groups: lower 27 %, middle, upper 27 %
    option_counts_curve: np.ndarray | None = None  # groups: CURVE_GROUPS quantiles of the total
    totals: np.ndarray | None = None  # each candidate's total (float64), kept for plots


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(np.asarray(num, dtype=np.float64) / den)
    return np.where(np.isfinite(out), out, np.nan)


def _moments(scores: np.ndarray, presented: np.ndarray | None) -> dict[str, np.ndarray]:
    """One chunked pass: Gram matrix, item sums, totals, and (for incomplete designs) masked cross-sums."""
    n, k = scores.shape
    gram = np.zeros((k, k), dtype=np.float64)
    sx = np.zeros(k, dtype=np.float64)
    totals = np.empty(n, dtype=np.float64)
    out: dict[str, np.ndarray] = {}
    if presented is not None:
        nm = np.zeros((k, k), dtype=np.float64)  # candidates presented both j and l
        sxm = np.zeros((k, k), dtype=np.float64)  # sum of x_j over candidates presented both j and l
        st = np.zeros(k, dtype=np.float64)
        st2 = np.zeros(k, dtype=np.float64)
    for start in range(0, n, CHUNK_ROWS):
        xc = scores[start : start + CHUNK_ROWS].astype(np.float32, copy=False)
        gram += xc.T @ xc
        sx += xc.sum(axis=0, dtype=np.float64)
        t = xc.sum(axis=1, dtype=np.float64)
        totals[start : start + CHUNK_ROWS] = t
        if presented is not None:
            mc = presented[start : start + CHUNK_ROWS].astype(np.float32)
            nm += mc.T @ mc
            sxm += xc.T @ mc
            st += mc.T.astype(np.float64) @ t
            st2 += mc.T.astype(np.float64) @ (t * t)
    out.update(gram=gram, sx=sx, totals=totals)
    if presented is not None:
        out.update(nm=nm, sxm=sxm, st=st, st2=st2)
    return out


def _alpha_from(v_sum: np.ndarray | float, v_cnt: np.ndarray | float, c_sum: np.ndarray | float,
                c_cnt: np.ndarray | float, length: np.ndarray | float) -> np.ndarray:
    v = _safe_div(np.asarray(v_sum, dtype=np.float64), np.asarray(v_cnt, dtype=np.float64))
    c = _safe_div(np.asarray(c_sum, dtype=np.float64), np.asarray(c_cnt, dtype=np.float64))
    length = np.asarray(length, dtype=np.float64)
    return _safe_div(length * c, v + (length - 1.0) * c)


def _groups(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank candidates by total (ties in input order): upper/lower 27 % labels and quantile groups."""
    n = totals.shape[0]
    order = np.argsort(totals, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    g = max(1, int(round(UPPER_LOWER_FRACTION * n))) if n >= 2 else 0
    ul = np.ones(n, dtype=np.uint8)
    if g:
        ul[order[:g]] = 0
        ul[order[n - g :]] = 2
    curve = (rank * CURVE_GROUPS // max(n, 1)).astype(np.uint8)
    return ul, curve, order[:g] if g else order[:0], order[n - g :] if g else order[:0]


def _option_counts(
    choices: np.ndarray, n_slots: int, ul: np.ndarray, curve: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per item one bincount over (curve group, upper/lower group, slot); both tables are its marginals."""
    n, k = choices.shape
    width = n_slots + 1  # slot 0 = not presented (dropped), 1 = omitted, 2.. = options
    base = (curve.astype(np.int32) * 3 + ul.astype(np.int32)) * width
    cols = np.asfortranarray(choices)
    both = np.empty((k, CURVE_GROUPS, 3, width), dtype=np.int64)
    for j in range(k):
        code = base + (cols[:, j].astype(np.int32) - NOT_PRESENTED)
        both[j] = np.bincount(code, minlength=CURVE_GROUPS * 3 * width).reshape(CURVE_GROUPS, 3, width)
    both = both[..., 1:]  # drop "not presented"
    return both.sum(axis=1), both.sum(axis=2)


def classical_statistics(rm: ResponseMatrix, *, histogram_bins: int = 30) -> ClassicalResult:
    """Every classical statistic of the matrix's items, as whole-array arithmetic on one chunked pass."""
    scores, presented = rm.scores, rm.presented
    n, k = scores.shape
    mx = rm.max_points
    mom = _moments(scores, presented)
    gram, sx, totals = mom["gram"], mom["sx"], mom["totals"]
    sx2 = np.diag(gram).copy()
    sxt = gram.sum(axis=1)  # sum_i x_ij * t_i, exact, because t_i = sum_l x_il

    if presented is None:
        n_item = np.full(k, float(n))
        st = np.full(k, totals.sum())
        st2 = np.full(k, float(totals @ totals))
        n_pair = np.full((k, k), float(n))
        s_pair = np.broadcast_to(sx[:, None], (k, k))  # sum of x_j over those presented j and l
    else:
        n_pair, s_pair = mom["nm"], mom["sxm"]
        n_item = np.diag(n_pair).copy()
        st, st2 = mom["st"], mom["st2"]

    mean_x = _safe_div(sx, n_item)
    var_x = _safe_div(sx2, n_item) - mean_x**2
    mean_t = _safe_div(st, n_item)
    var_t = _safe_div(st2, n_item) - mean_t**2
    cov_xt = _safe_div(sxt, n_item) - mean_x * mean_t
    var_x = np.maximum(var_x, 0.0)
    var_t = np.maximum(var_t, 0.0)
    point_biserial = _safe_div(cov_xt, np.sqrt(var_x * var_t))
    var_rest = np.maximum(var_t - 2.0 * cov_xt + var_x, 0.0)
    corrected_r = _safe_div(cov_xt - var_x, np.sqrt(var_x * var_rest))

    # Covariance matrix (pairwise over candidates presented both items; ddof 1) -> alpha, alpha if deleted.
    cov = _safe_div(gram - s_pair * s_pair.T / np.where(n_pair > 0, n_pair, np.nan), n_pair - 1.0)
    valid = np.isfinite(cov) & (n_pair >= 2)
    cov = np.where(valid, cov, 0.0)
    diag_valid = np.diag(valid)
    off = valid & ~np.eye(k, dtype=bool)
    v_sum, v_cnt = float(np.trace(cov)), float(diag_valid.sum())
    c_sum, c_cnt = float(cov[off].sum()), float(off.sum())
    length = float(n_item.sum() / n) if n else 0.0  # items per candidate (k for a complete design)
    alpha = float(_alpha_from(v_sum, v_cnt, c_sum, c_cnt, length)) if k >= 2 else float("nan")
    row_c = np.where(off, cov, 0.0).sum(axis=1)
    row_cnt = off.sum(axis=1)
    alpha_del = _alpha_from(
        v_sum - np.diag(cov), v_cnt - diag_valid, c_sum - 2.0 * row_c, c_cnt - 2.0 * row_cnt,
        length - n_item / max(n, 1),
    ) if k >= 3 else np.full(k, np.nan)

    # Upper / lower 27 % and score-group tables.
    ul, curve, lower_idx, upper_idx = _groups(totals)

    def _group_p(idx: np.ndarray) -> np.ndarray:
        if idx.size == 0:
            return np.full(k, np.nan)
        s = scores[idx].sum(axis=0, dtype=np.float64)
        cnt = presented[idx].sum(axis=0) if presented is not None else np.full(k, float(idx.size))
        return _safe_div(s, cnt * mx)

    p_upper, p_lower = _group_p(upper_idx), _group_p(lower_idx)
    if rm.omitted is not None:
        om = rm.omitted if presented is None else (rm.omitted & presented)
        omit_rate = _safe_div(om.sum(axis=0, dtype=np.int64), n_item)
    else:
        omit_rate = np.zeros(k)

    counts_ul = counts_curve = None
    if rm.choices is not None:
        n_slots = 1 + max((len(it.options) for it in rm.items), default=0)
        counts_ul, counts_curve = _option_counts(rm.choices, n_slots, ul, curve)

    sd = float(totals.std(ddof=1)) if n >= 2 else float("nan")
    all_dich = bool(rm.dichotomous.all())
    alpha_v = None if not np.isfinite(alpha) else alpha
    test = TestStatistics(
        n=n,
        items=k,
        mean=float(totals.mean()) if n else float("nan"),
        sd=sd,
        min=float(totals.min()) if n else float("nan"),
        max=float(totals.max()) if n else float("nan"),
        max_possible=float(mx.sum()) if presented is None else float(np.round(length * mx.mean(), 6)),
        kr20=alpha_v if all_dich else None,
        alpha=alpha_v,
        sem=None if alpha_v is None else float(sd * np.sqrt(max(0.0, 1.0 - alpha_v))),
        distribution=score_distribution(totals, histogram_bins),
    )
    return ClassicalResult(
        test=test, n=n_item, p=_safe_div(mean_x, mx), mean=mean_x, point_biserial=point_biserial,
        corrected_r=corrected_r, alpha_if_deleted=np.asarray(alpha_del, dtype=np.float64),
        upper_lower=p_upper - p_lower, omit_rate=omit_rate, p_upper=p_upper, p_lower=p_lower,
        option_counts_ul=counts_ul, option_counts_curve=counts_curve, totals=totals,
    )


def score_distribution(totals: np.ndarray, max_bins: int = 30) -> list[tuple[float, float, int]]:
    """Bins of the total score: one per value when the scores are few integers, else equal-width bins."""
    if totals.size == 0:
        return []
    lo, hi = float(totals.min()), float(totals.max())
    if np.all(totals == np.round(totals)):
        values = np.unique(totals)
        unit = float(np.gcd.reduce(np.diff(values).astype(np.int64))) if values.size > 1 else 1.0
        step = unit * max(1.0, np.ceil(((hi - lo) / unit + 1) / max_bins))
        edges = np.arange(lo, hi + step + 1e-9, step)
    else:
        edges = np.linspace(lo, hi if hi > lo else lo + 1, max_bins + 1)
    counts, edges = np.histogram(totals, bins=edges)
    return [(float(edges[i]), float(edges[i + 1]), int(c)) for i, c in enumerate(counts)]
