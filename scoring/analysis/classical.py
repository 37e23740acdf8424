"""Classical test theory, vectorised: item difficulty and discrimination, reliability, distractors by score group.

Everything comes from one pass over the score matrix in row chunks cast to float32 for BLAS, each chunk's
sums added to float64 accumulators. A complete design (everyone saw every item) needs only O(n k) sums:
sum x, sum x^2, the totals t and X't — alpha and alpha-if-deleted follow from the item variances and the
item-total covariances, because the total is the sum of the items. With integer points every float32 partial
sum stays an exact integer (< 2^24), so the statistics are computed from exact sums. An incomplete design
(papers drawn from a bank) uses Gram matrices instead, for covariances over the candidates who saw both items.
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
    curve_groups: np.ndarray | None = None  # each candidate's score group (0 .. CURVE_GROUPS - 1)


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(np.asarray(num, dtype=np.float64) / den)
    return np.where(np.isfinite(out), out, np.nan)


def _complete_moments(scores: np.ndarray, max_x: float, max_t: float) -> dict[str, np.ndarray]:
    """Complete designs need no Gram matrix: sums, sums of squares, totals and X't, all O(n k).

    float32 BLAS on integer points is exact while every partial sum stays below 2^24, so X't is summed in
    blocks small enough for that (4,096 rows for SKD: item <= 5, total <= 550) and the blocks added in float64.
    """
    n, k = scores.shape
    sx = np.zeros(k)
    sx2 = np.zeros(k)
    sxt = np.zeros(k)
    totals = np.empty(n)
    ones_k = np.ones(k, dtype=np.float32)
    exact = 2.0**24
    block = 1 << max(0, int(np.floor(np.log2(exact / max(max_x * max_t, 1.0)))))
    block = min(block, CHUNK_ROWS)
    sq_f32 = CHUNK_ROWS * max_x * max_x < exact
    for start in range(0, n, CHUNK_ROWS):
        xc = scores[start : start + CHUNK_ROWS].astype(np.float32, copy=False)
        m = xc.shape[0]
        t32 = xc @ ones_k
        totals[start : start + m] = t32
        sx += np.ones(m, dtype=np.float32) @ xc
        sx2 += np.einsum("ij,ij->j", xc, xc) if sq_f32 else np.add.reduce(xc * xc, axis=0, dtype=np.float64)
        if block >= 512:
            full = m - m % block
            if full:
                parts = np.matmul(t32[:full].reshape(-1, 1, block), xc[:full].reshape(-1, block, k))
                sxt += parts.reshape(-1, k).sum(axis=0, dtype=np.float64)
            if full < m:
                sxt += (t32[full:] @ xc[full:]).astype(np.float64)
        else:
            sxt += xc.T.astype(np.float64) @ totals[start : start + m]
    return {"sx": sx, "sx2": sx2, "sxt": sxt, "totals": totals}


def _masked_moments(scores: np.ndarray, presented: np.ndarray) -> dict[str, np.ndarray]:
    """Incomplete designs (papers drawn from a bank): Gram matrices for pairwise covariances, masked sums."""
    n, k = scores.shape
    gram = np.zeros((k, k))
    nm = np.zeros((k, k))  # candidates presented both j and l
    sxm = np.zeros((k, k))  # sum of x_j over candidates presented both j and l
    st = np.zeros(k)
    st2 = np.zeros(k)
    totals = np.empty(n)
    for start in range(0, n, CHUNK_ROWS):
        xc = scores[start : start + CHUNK_ROWS].astype(np.float32, copy=False)
        mc = presented[start : start + CHUNK_ROWS].astype(np.float32)
        t = xc.sum(axis=1, dtype=np.float64)
        totals[start : start + CHUNK_ROWS] = t
        gram += xc.T @ xc
        nm += mc.T @ mc
        sxm += xc.T @ mc
        m64 = mc.T.astype(np.float64)
        st += m64 @ t
        st2 += m64 @ (t * t)
    return {"gram": gram, "nm": nm, "sxm": sxm, "st": st, "st2": st2, "totals": totals,
            "sx": np.diag(sxm).copy(), "sx2": np.diag(gram).copy(), "sxt": gram.sum(axis=1)}


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
    base = ((curve.astype(np.intp) * 3 + ul) * width - NOT_PRESENTED).astype(np.intp)
    cols = np.asfortranarray(choices)
    both = np.empty((k, CURVE_GROUPS, 3, width), dtype=np.int64)
    code = np.empty(n, dtype=np.intp)
    for j in range(k):
        np.add(base, cols[:, j], out=code)
        both[j] = np.bincount(code, minlength=CURVE_GROUPS * 3 * width).reshape(CURVE_GROUPS, 3, width)
    both = both[..., 1:]  # drop "not presented"
    return both.sum(axis=1), both.sum(axis=2)


def classical_statistics(rm: ResponseMatrix, *, histogram_bins: int = 30, options: bool = True) -> ClassicalResult:
    """Every classical statistic of the matrix's items, as whole-array arithmetic on one chunked pass."""
    scores, presented = rm.scores, rm.presented
    n, k = scores.shape
    mx = rm.max_points
    if presented is None:
        mom = _complete_moments(scores, float(mx.max()) if k else 1.0, float(mx.sum()) if k else 1.0)
    else:
        mom = _masked_moments(scores, presented)
    sx, sx2, sxt, totals = mom["sx"], mom["sx2"], mom["sxt"], mom["totals"]

    if presented is None:
        n_item = np.full(k, float(n))
        st = np.full(k, totals.sum())
        st2 = np.full(k, float(totals @ totals))
    else:
        n_item = np.diag(mom["nm"]).copy()
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

    # Alpha from the mean item variance v and mean inter-item covariance c (ddof 1): L c / (v + (L - 1) c).
    length = float(n_item.sum() / n) if n else 0.0  # items per candidate (k for a complete design)
    if presented is None:
        ddof = max(n - 1, 1)
        diag = (sx2 - sx * sx / max(n, 1)) / ddof
        row_c = (sxt - sx * totals.sum() / max(n, 1)) / ddof - diag  # sum over l != j of cov(j, l)
        v_sum, v_cnt = float(diag.sum()), float(k)
        c_sum, c_cnt = float(row_c.sum()), float(k * (k - 1))
        diag_cnt, row_cnt = np.ones(k), np.full(k, k - 1.0)
    else:
        n_pair, s_pair = mom["nm"], mom["sxm"]
        cov = _safe_div(mom["gram"] - s_pair * s_pair.T / np.where(n_pair > 0, n_pair, np.nan), n_pair - 1.0)
        valid = np.isfinite(cov) & (n_pair >= 2)
        cov = np.where(valid, cov, 0.0)
        off = valid & ~np.eye(k, dtype=bool)
        diag, diag_cnt = np.diag(cov).copy(), np.diag(valid).astype(np.float64)
        row_c, row_cnt = np.where(off, cov, 0.0).sum(axis=1), off.sum(axis=1).astype(np.float64)
        v_sum, v_cnt = float(diag.sum()), float(diag_cnt.sum())
        c_sum, c_cnt = float(row_c.sum()), float(row_cnt.sum())
    alpha = float(_alpha_from(v_sum, v_cnt, c_sum, c_cnt, length)) if k >= 2 else float("nan")
    alpha_del = _alpha_from(
        v_sum - diag, v_cnt - diag_cnt, c_sum - 2.0 * row_c, c_cnt - 2.0 * row_cnt, length - n_item / max(n, 1),
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
    if rm.choices is not None and options:
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
        curve_groups=curve,
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
