"""Classical statistics equal their textbook definitions computed the slow way, on complete and incomplete data."""

from __future__ import annotations

import numpy as np
import pytest
from analysis_data import LSAT7_FREQ, expand

from scoring.analysis.classical import classical_statistics, score_distribution
from scoring.analysis.flags import FlagRules, item_flags
from scoring.analysis.responses import NOT_PRESENTED, OMITTED, ItemInfo, OptionInfo, ResponseMatrix, score_choices


def _letters_items(k: int, points: list[float] | None = None) -> list[ItemInfo]:
    pts = points or [5.0, 0.0, 0.0, 0.0, 0.0]
    return [ItemInfo(f"Q{j}", max(pts), tuple(OptionInfo(c, p) for c, p in zip("ABCDE", pts, strict=True)))
            for j in range(k)]


def _simulated(n: int = 1500, k: int = 10, seed: int = 11) -> ResponseMatrix:
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(n)
    b = np.linspace(-1.5, 1.5, k)
    right = rng.random((n, k)) < 1 / (1 + np.exp(-1.4 * (theta[:, None] - b[None, :])))
    choices = np.where(right, 0, rng.integers(1, 5, (n, k))).astype(np.int8)
    choices[rng.random((n, k)) < 0.04] = OMITTED
    items = _letters_items(k)
    return ResponseMatrix([f"c{i}" for i in range(n)], items, score_choices(choices, items), choices=choices)


def _alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))


def test_item_statistics_equal_their_definitions() -> None:
    rm = _simulated()
    res = classical_statistics(rm)
    x = rm.scores.astype(float)
    t = x.sum(axis=1)
    k = x.shape[1]
    np.testing.assert_allclose(res.p, x.mean(axis=0) / 5.0)
    np.testing.assert_allclose(res.point_biserial, [np.corrcoef(x[:, j], t)[0, 1] for j in range(k)])
    np.testing.assert_allclose(res.corrected_r, [np.corrcoef(x[:, j], t - x[:, j])[0, 1] for j in range(k)])
    np.testing.assert_allclose(res.alpha_if_deleted, [_alpha(np.delete(x, j, axis=1)) for j in range(k)])
    np.testing.assert_allclose(res.omit_rate, (rm.choices == OMITTED).mean(axis=0))
    assert res.test.alpha == pytest.approx(_alpha(x))
    p = res.p
    kr20 = k / (k - 1) * (1 - (p * (1 - p)).sum() / (t / 5).var())  # KR-20 with p q and the N-variance
    assert res.test.kr20 == pytest.approx(kr20)
    assert res.test.sd == pytest.approx(t.std(ddof=1))
    assert res.test.sem == pytest.approx(t.std(ddof=1) * np.sqrt(1 - _alpha(x)))
    assert res.test.mean == pytest.approx(t.mean())


def test_upper_lower_index_and_option_tables() -> None:
    rm = _simulated(n=1000)
    res = classical_statistics(rm)
    t = rm.scores.sum(axis=1, dtype=np.int64)
    order = np.argsort(t, kind="stable")
    low, high = order[:270], order[-270:]
    x = rm.scores / 5.0
    np.testing.assert_allclose(res.upper_lower, x[high].mean(axis=0) - x[low].mean(axis=0))
    for j in (0, 4, 9):
        for g, idx in ((0, low), (2, high)):
            expected = [int((rm.choices[idx, j] == OMITTED).sum())] + [
                int((rm.choices[idx, j] == o).sum()) for o in range(5)]
            assert res.option_counts_ul[j, g].tolist() == expected
        assert res.option_counts_curve[j].sum() == 1000
        assert res.option_counts_ul[j].sum() == 1000


def test_incomplete_design_uses_only_presented_candidates() -> None:
    rm = _simulated(n=1200, k=8)
    rng = np.random.default_rng(5)
    presented = np.argsort(rng.random((1200, 8)), axis=1) < 6
    choices = np.where(presented, rm.choices, NOT_PRESENTED).astype(np.int8)
    inc = ResponseMatrix(rm.candidate_ids, rm.items, score_choices(choices, rm.items), choices=choices,
                         presented=presented)
    res = classical_statistics(inc)
    x = inc.scores.astype(float)
    t = x.sum(axis=1)
    for j in range(8):
        m = presented[:, j]
        assert res.n[j] == m.sum()
        assert res.p[j] == pytest.approx(x[m, j].mean() / 5)
        assert res.point_biserial[j] == pytest.approx(np.corrcoef(x[m, j], t[m])[0, 1])
        assert res.corrected_r[j] == pytest.approx(np.corrcoef(x[m, j], t[m] - x[m, j])[0, 1])
        assert res.omit_rate[j] == pytest.approx((choices[m, j] == OMITTED).mean())
        assert res.option_counts_ul[j].sum() == m.sum()
    assert 0 < res.test.alpha < 1
    assert res.test.max_possible == pytest.approx(30.0)  # six items of five points per paper


def test_complete_lsat7_reliability() -> None:
    """LSAT7: the published item means; alpha from the covariance matrix equals KR-20 from p q."""
    items = [ItemInfo(f"Item{j + 1}", 1.0) for j in range(5)]
    x = expand(LSAT7_FREQ)
    res = classical_statistics(ResponseMatrix([str(i) for i in range(1000)], items, x))
    np.testing.assert_allclose(res.p, [0.828, 0.658, 0.772, 0.606, 0.843])
    assert res.test.mean == pytest.approx(3.707)
    assert res.test.kr20 == res.test.alpha == pytest.approx(_alpha(x.astype(float)))


def test_weighted_items_have_no_kr20_and_p_is_mean_over_max() -> None:
    items = _letters_items(4, [5.0, 4.0, 3.0, 2.0, 1.0])
    choices = np.array([[0, 1, 2, 3], [4, 4, 4, 4], [0, 0, 0, 0], [1, 2, 3, 4]], dtype=np.int8)
    rm = ResponseMatrix(list("wxyz"), items, score_choices(choices, items), choices=choices)
    res = classical_statistics(rm)
    assert not rm.dichotomous.any()
    assert res.test.kr20 is None and res.test.alpha is not None
    np.testing.assert_allclose(res.p, [(5 + 1 + 5 + 4) / 20, (4 + 1 + 5 + 3) / 20, (3 + 1 + 5 + 2) / 20,
                                       (2 + 1 + 5 + 1) / 20])


def test_large_integer_sums_stay_exact() -> None:
    """Chunked float32 Gram products of integer points are exact: a 200,000-row matrix matches int64 sums."""
    rng = np.random.default_rng(8)
    s = rng.integers(0, 6, (200_000, 6)).astype(np.uint8)
    items = [ItemInfo(f"I{j}", 5.0) for j in range(6)]
    res = classical_statistics(ResponseMatrix([str(i) for i in range(200_000)], items, s))
    t = s.sum(axis=1, dtype=np.int64)
    assert res.totals is not None and (res.totals == t).all()
    xi = s.astype(np.int64)
    cov = (xi.T @ xi - np.outer(xi.sum(0), xi.sum(0)) / 200_000) / 199_999
    k = 6
    expected = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
    assert res.test.alpha == pytest.approx(expected, rel=1e-12)


def test_score_distribution_bins_follow_the_point_grid() -> None:
    bins = score_distribution(np.array([0, 5, 5, 10, 60], dtype=float))
    assert bins[0] == (0.0, 5.0, 1) and bins[1] == (5.0, 10.0, 2)
    assert sum(c for _, _, c in bins) == 5
    assert score_distribution(np.zeros(0)) == []


def test_flags_name_the_problem() -> None:
    """Too easy, too hard, negative discrimination, an unused distractor, and a likely key error."""
    rng = np.random.default_rng(21)
    n = 2000
    theta = rng.standard_normal(n)
    b = np.array([-3.5, 3.5, 0.0, 0.0, 0.0, -0.5, 0.5, 0.2])
    right = rng.random((n, 8)) < 1 / (1 + np.exp(-1.6 * (theta[:, None] - b[None, :])))
    choices = np.where(right, 0, rng.integers(1, 4, (n, 8))).astype(np.int8)  # option E never chosen
    choices[:, 2] = np.where(right[:, 2], 1, 0)  # item 2: the strong pick B, the key says A -> key error
    choices[:, 3] = np.where(rng.random(n) < 1 / (1 + np.exp(1.2 * theta)), 0, 2)  # reversed item
    items = _letters_items(8)
    rm = ResponseMatrix([str(i) for i in range(n)], items, score_choices(choices, items), choices=choices)
    flags = item_flags(rm, classical_statistics(rm), FlagRules())
    codes = [{f.code for f in fl} for fl in flags]
    assert "too_easy" in codes[0] and "too_hard" in codes[1]
    assert "key_suspect" in codes[2] and "negative_discrimination" in codes[2]
    assert "negative_discrimination" in codes[3]
    assert all("unused_distractor" in c for c in codes)
    assert not codes[5] & {"too_easy", "too_hard", "negative_discrimination", "key_suspect"}
    msg = next(f.message for f in flags[2] if f.code == "key_suspect")
    assert "B" in msg and "A" in msg
    assert next(f.message for f in flags[0] if f.code == "unused_distractor").count("E") == 1


def test_few_candidates_raise_no_discrimination_flags() -> None:
    items = _letters_items(3)
    choices = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1], [1, 1, 1]], dtype=np.int8)
    rm = ResponseMatrix(list("abcd"), items, score_choices(choices, items), choices=choices)
    codes = {f.code for fl in item_flags(rm, classical_statistics(rm)) for f in fl}
    assert not codes & {"negative_discrimination", "weak_discrimination", "key_suspect"}
