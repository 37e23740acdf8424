"""The 2PL fit reproduces published LSAT estimates (mirt, ltm) and recovers known parameters from simulations."""

from __future__ import annotations

import numpy as np
import pytest
from analysis_data import LSAT6_FREQ, LSAT7_FREQ, PATTERNS, expand, simulate_2pl

from scoring.analysis.irt import _Data, _estep, _gradient, _observed_information, fit_2pl, quadrature


def test_lsat_tables_match_their_published_margins() -> None:
    """The pattern tables reproduce the published item proportions and sum-score counts (guards typos)."""
    x7, x6 = expand(LSAT7_FREQ), expand(LSAT6_FREQ)
    assert x7.shape == x6.shape == (1000, 5)
    np.testing.assert_allclose(x7.mean(axis=0), [0.828, 0.658, 0.772, 0.606, 0.843])
    np.testing.assert_allclose(x6.mean(axis=0), [0.924, 0.709, 0.553, 0.763, 0.870])
    # mirt's EAPsum test lists the observed LSAT7 sum-score counts 0..5.
    assert np.bincount(x7.sum(axis=1), minlength=6).tolist() == [12, 40, 114, 205, 321, 308]


def test_lsat7_matches_mirt() -> None:
    """mirt 1.x, tests/testthat/test-01-mirtOne.R: mirt(expand.table(LSAT7), 1) slopes a1 and intercepts d."""
    fit = fit_2pl(expand(LSAT7_FREQ))
    assert fit.converged
    np.testing.assert_allclose(fit.a, [0.9876, 1.0808, 1.7075, 0.765, 0.7357], atol=2e-4)
    np.testing.assert_allclose(fit.d, [1.8559, 0.808, 1.8052, 0.486, 1.8545], atol=2e-4)
    # Standard errors: half-widths of mirt's 95 % intervals (SE.type = "Richardson", a numerical Hessian).
    lo_hi_a = [(0.6406, 1.3354), (0.7501, 1.4119), (1.0779, 2.334), (0.5022, 1.028), (0.4395, 1.032)]
    lo_hi_d = [(1.5984, 2.1138), (0.6291, 0.9869), (1.4036, 2.205), (0.3392, 0.6328), (1.6302, 2.0787)]
    se_a = [(hi - lo) / (2 * 1.959964) for lo, hi in lo_hi_a]
    se_d = [(hi - lo) / (2 * 1.959964) for lo, hi in lo_hi_d]
    np.testing.assert_allclose(fit.se_a, se_a, rtol=0.01)
    np.testing.assert_allclose(fit.se_d, se_d, rtol=0.01)
    np.testing.assert_allclose(fit.b, -fit.d / fit.a)


def test_lsat7_eap_matches_mirt() -> None:
    """mirt fscores(..., full.scores = FALSE): EAP of the first six response patterns (tolerance 1e-2 there too)."""
    x = expand(LSAT7_FREQ)
    fit = fit_2pl(x)
    first_row = np.concatenate([[0], np.cumsum(LSAT7_FREQ)[:-1]])[:6]
    assert (x[first_row] == PATTERNS[:6]).all()
    np.testing.assert_allclose(fit.theta[first_row],
                               [-1.8665957, -1.5266920, -1.5134024, -1.1852276, -1.0946830, -0.7666992], atol=1e-2)


@pytest.mark.parametrize("rule,points", [("gauss-hermite", 21), ("rectangular", 61)])
def test_lsat6_matches_ltm(rule: str, points: int) -> None:
    """ltm(LSAT ~ z1, IRT.param = TRUE) summary: difficulty, discrimination, their SEs and the log-likelihood.

    ltm stops its quasi-Newton at max|grad| = 0.024, so its estimates sit up to ~1e-3 from the maximum;
    the log-likelihood (flat at the top) agrees to the printed three decimals.
    """
    fit = fit_2pl(expand(LSAT6_FREQ), quadrature_points=points, rule=rule)
    assert fit.converged
    assert fit.loglik == pytest.approx(-2466.653, abs=1e-3)
    np.testing.assert_allclose(fit.b, [-3.3597, -1.3696, -0.2799, -1.8659, -3.1236], atol=3e-3)
    np.testing.assert_allclose(fit.a, [0.8254, 0.7229, 0.8905, 0.6886, 0.6575], atol=1e-3)
    np.testing.assert_allclose(fit.se_b, [0.8669, 0.3073, 0.0997, 0.4341, 0.8700], atol=2e-3)
    np.testing.assert_allclose(fit.se_a, [0.2581, 0.1867, 0.2326, 0.1852, 0.2100], atol=1e-3)


def test_standard_errors_equal_a_numerical_hessian() -> None:
    """Louis' analytic information matches central second differences of the marginal log-likelihood."""
    x = expand(LSAT7_FREQ)
    fit = fit_2pl(x)
    nodes, prior = quadrature()
    data = _Data(x, None)
    theta0 = np.concatenate([fit.a, fit.d])

    def loglik(v: np.ndarray) -> float:
        return float(_estep(data, v[:5], v[5:], nodes, np.log(prior))["loglik"])

    h = 1e-3
    hess = np.zeros((10, 10))
    for i in range(10):
        for j in range(10):
            ei, ej = np.eye(10)[i] * h, np.eye(10)[j] * h
            hess[i, j] = (loglik(theta0 + ei + ej) - loglik(theta0 + ei - ej) - loglik(theta0 - ei + ej)
                          + loglik(theta0 - ei - ej)) / (4 * h * h)
    se = np.sqrt(np.diag(np.linalg.inv(-hess)))
    np.testing.assert_allclose(np.concatenate([fit.se_a, fit.se_d]), se, rtol=2e-3)


def test_standard_errors_equal_a_numerical_hessian_for_an_incomplete_design() -> None:
    """Louis' information built per candidate on the shown items matches a central-difference Hessian.

    3,000 candidates see 12 of 25 items each (a bank drawn per paper), so every item pair's terms come only
    from the candidates who saw both. The Hessian is differenced from the score (Fisher's identity: the
    E-step's expected residuals), which is first checked against differences of the log-likelihood itself;
    second differences of the likelihood would take 5,000 E-steps for 50 parameters.
    """
    a0 = np.linspace(0.7, 2.0, 25)
    b0 = np.linspace(-1.8, 1.8, 25)
    x, _theta = simulate_2pl(3_000, a0, b0, seed=21)
    presented = np.argsort(np.random.default_rng(22).random(x.shape), axis=1) < 12
    x = x * presented
    fit = fit_2pl(x, presented)
    assert fit.converged
    nodes, prior = quadrature()
    data = _Data(x, presented)
    theta0 = np.concatenate([fit.a, fit.d])
    dim = theta0.size

    def estep(v: np.ndarray) -> dict[str, object]:
        return _estep(data, v[:25], v[25:], nodes, np.log(prior))

    def score(v: np.ndarray) -> np.ndarray:
        return _gradient(estep(v), nodes)

    away = theta0 + np.random.default_rng(23).uniform(-0.05, 0.05, dim)  # where the score is far from 0
    h = 1e-4
    step = np.eye(dim) * h
    by_loglik = [(float(estep(away + step[i])["loglik"]) - float(estep(away - step[i])["loglik"])) / (2 * h)
                 for i in range(dim)]
    np.testing.assert_allclose(score(away), by_loglik, rtol=1e-5, atol=1e-4)
    hess = np.column_stack([(score(theta0 + step[i]) - score(theta0 - step[i])) / (2 * h) for i in range(dim)])
    se = np.sqrt(np.diag(np.linalg.inv(-(hess + hess.T) / 2)))
    np.testing.assert_allclose(np.concatenate([fit.se_a, fit.se_d]), se, rtol=1e-5)


def _dense_louis_information(x: np.ndarray, presented: np.ndarray, a: np.ndarray, d: np.ndarray,
                             nodes: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Louis' identity written out on the full (n x k) matrices, node by node: the reference formula."""
    m = presented.astype(np.float64)
    x = x * m
    p = 1.0 / (1.0 + np.exp(-(a[:, None] * nodes[None, :] + d[:, None])))  # (k, Q)
    ll = x @ np.log(p) + (m - x) @ np.log(1.0 - p) + np.log(prior)[None, :]
    w = np.exp(ll - ll.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    k = a.size
    info = np.zeros((2 * k, 2 * k))
    cnt = m.T @ w  # expected presentations per item and node
    wpq = cnt * p * (1.0 - p)
    idx = np.arange(k)
    info[idx, idx] = wpq @ nodes**2
    info[idx, k + idx] = info[k + idx, idx] = wpq @ nodes
    info[k + idx, k + idx] = wpq.sum(axis=1)
    th = w @ nodes
    g = np.hstack([x * th[:, None] - m * (w @ (p * nodes).T), x - m * (w @ p.T)])
    info += g.T @ g
    for q, t in enumerate(nodes):
        dq = x - m * p[:, q]
        sq = (dq * w[:, q : q + 1]).T @ dq
        info -= np.block([[t * t * sq, t * sq], [t * sq, sq]])
    return info


@pytest.mark.parametrize("ragged", [False, True])
def test_incomplete_design_information_equals_the_dense_formula(ragged: bool) -> None:
    """The per-candidate (shown items only) Louis terms add up to the node-by-node dense sums, ragged rows too."""
    rng = np.random.default_rng(31)
    n, k = 2_500, 15  # enough rows for the threaded path (two row ranges)
    a, d = rng.uniform(0.5, 2.0, k), rng.uniform(-1.5, 1.5, k)
    x, _ = simulate_2pl(n, a, -d / a, seed=32)
    shown = rng.integers(3, 10, n) if ragged else np.full(n, 7)
    presented = np.argsort(rng.random((n, k)), axis=1) < shown[:, None]
    nodes, prior = quadrature()
    e = _estep(_Data(x, presented), a, d, nodes, np.log(prior), louis=True)
    want = _dense_louis_information(x, presented, a, d, nodes, prior)
    np.testing.assert_allclose(_observed_information(e, nodes), want, rtol=0, atol=1e-10 * np.abs(want).max())


def test_a_mask_showing_every_item_is_fitted_as_the_complete_design() -> None:
    """A presentation mask that is all True takes the complete design's closed form: the same fit as no mask."""
    x = expand(LSAT7_FREQ)
    full, masked = fit_2pl(x), fit_2pl(x, np.ones(x.shape, dtype=bool))
    np.testing.assert_allclose(masked.a, full.a, rtol=1e-10)
    np.testing.assert_allclose(masked.se_b, full.se_b, rtol=1e-10)
    assert masked.loglik == pytest.approx(full.loglik, abs=1e-8)
    assert _Data(x, np.ones(x.shape, dtype=bool)).complete


def test_recovers_known_parameters() -> None:
    """Seed 2026, 20,000 candidates, 20 items: |a - a0| < 0.12, |b - b0| < 0.12, every |z| < 4, EAP r > 0.9."""
    a0 = np.linspace(0.6, 2.2, 20)
    b0 = np.linspace(-2.0, 2.0, 20)[np.random.default_rng(1).permutation(20)]
    x, theta = simulate_2pl(20_000, a0, b0, seed=2026)
    fit = fit_2pl(x)
    assert fit.converged
    assert np.abs(fit.a - a0).max() < 0.12
    assert np.abs(fit.b - b0).max() < 0.12
    assert np.abs((fit.a - a0) / fit.se_a).max() < 4
    assert np.abs((fit.b - b0) / fit.se_b).max() < 4
    assert np.corrcoef(fit.theta, theta)[0, 1] > 0.9


def test_recovers_parameters_from_an_incomplete_design() -> None:
    """Each candidate sees 14 of 20 items (a bank drawn per paper): same tolerances, 30,000 candidates."""
    a0 = np.linspace(0.7, 2.0, 20)
    b0 = np.linspace(-1.8, 1.8, 20)
    x, _theta = simulate_2pl(30_000, a0, b0, seed=99)
    rng = np.random.default_rng(3)
    presented = np.argsort(rng.random(x.shape), axis=1) < 14
    x = x * presented
    fit = fit_2pl(x, presented)
    assert fit.converged
    assert np.abs(fit.a - a0).max() < 0.12
    assert np.abs(fit.b - b0).max() < 0.12
    assert np.abs((fit.b - b0) / fit.se_b).max() < 4


def test_items_without_variance_are_left_out() -> None:
    """An item everyone got right has no 2PL estimate (NaN, fitted False); the others are still fitted."""
    x = expand(LSAT7_FREQ).copy()
    x = np.hstack([x, np.ones((1000, 1), dtype=np.uint8)])
    fit = fit_2pl(x)
    assert fit.fitted.tolist() == [True] * 5 + [False]
    assert np.isnan(fit.a[5]) and np.isnan(fit.se_b[5])
    np.testing.assert_allclose(fit.a[:5], [0.9876, 1.0808, 1.7075, 0.765, 0.7357], atol=2e-4)


def test_negative_discrimination_is_estimated_not_hidden() -> None:
    """A reversed item gets a negative slope (the flag for a miskeyed item has something to show)."""
    a0 = np.array([1.0, 1.2, 1.5, 0.9, -1.0])
    b0 = np.array([-0.5, 0.0, 0.5, 1.0, 0.0])
    x, _ = simulate_2pl(10_000, a0, b0, seed=4)
    fit = fit_2pl(x)
    assert fit.a[4] < -0.7


def test_large_subtests_calibrate_on_a_sample_and_score_everyone() -> None:
    """Above ``irt_sample`` candidates the items are fitted on a seeded sample; every candidate still gets an EAP."""
    from scoring.analysis.pipeline import Subtest, analyse
    from scoring.analysis.responses import ItemInfo, ResponseMatrix

    a0, b0 = np.linspace(0.8, 1.8, 8), np.linspace(-1.5, 1.5, 8)
    x, theta = simulate_2pl(12_000, a0, b0, seed=12)
    rm = ResponseMatrix([str(i) for i in range(12_000)], [ItemInfo(f"I{j}", 1.0) for j in range(8)], x)
    (full,) = analyse(rm, [Subtest("T", "", list(range(8)))])
    (sampled,) = analyse(rm, [Subtest("T", "", list(range(8)))], irt_sample=6_000)
    assert full.irt_note is None and "6,000 of 12,000" in (sampled.irt_note or "")
    assert sampled.irt is not None and full.irt is not None
    assert sampled.irt.theta is not None and sampled.irt.theta.shape == (12_000,)
    assert np.abs(sampled.irt.a - a0).max() < 0.15 and np.abs(sampled.irt.b - b0).max() < 0.15
    assert np.corrcoef(sampled.irt.theta, full.irt.theta)[0, 1] > 0.995
    assert np.corrcoef(sampled.irt.theta, theta)[0, 1] > 0.75  # 8 items: EAP reliability is about 0.65


def _design(name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Response matrices the SQUAREM EM is checked on: complete, a pool drawn per paper, ragged, edge cases."""
    a0, b0 = np.linspace(0.6, 2.2, 20), np.linspace(-2.0, 2.0, 20)
    if name == "lsat7":
        return expand(LSAT7_FREQ), None
    if name == "complete":
        return simulate_2pl(5_000, a0, b0, seed=41)[0], None
    if name in ("pool", "ragged"):
        x, _ = simulate_2pl(4_000, a0, b0, seed=42)
        rng = np.random.default_rng(43)
        shown = rng.integers(4, 16, x.shape[0]) if name == "ragged" else np.full(x.shape[0], 12)
        presented = np.argsort(rng.random(x.shape), axis=1) < shown[:, None]
        return x * presented, presented
    if name == "almost constant":  # one wrong answer in 5,000: an extreme intercept on a flat likelihood
        x, _ = simulate_2pl(5_000, a0[:10], b0[:10], seed=44)
        x[:, 3] = 1
        x[17, 3] = 0
        return x, None
    assert name == "small"
    return simulate_2pl(200, a0[:6], b0[:6], seed=5)[0], None


@pytest.mark.parametrize("design", ["lsat7", "complete", "pool", "ragged", "almost constant", "small"])
def test_accelerated_em_reaches_the_plain_em_estimates_in_fewer_e_steps(design: str) -> None:
    """SQUAREM changes only the path to the maximum: Newton ends both fits at the same a, b, SEs and log-likelihood."""
    x, presented = _design(design)
    plain = fit_2pl(x, presented, accelerate=False)
    fast = fit_2pl(x, presented)
    assert plain.converged and fast.converged
    assert fast.fitted.tolist() == plain.fitted.tolist()
    on = plain.fitted
    for name in ("a", "b", "d", "se_a", "se_b"):
        np.testing.assert_allclose(getattr(fast, name)[on], getattr(plain, name)[on], rtol=1e-6, atol=1e-6,
                                   err_msg=name)
    np.testing.assert_allclose(fast.theta, plain.theta, rtol=1e-6, atol=1e-6)
    assert fast.loglik == pytest.approx(plain.loglik, abs=1e-6)
    assert fast.em_iterations < plain.em_iterations


def test_accelerated_em_counts_every_e_step_and_respects_the_cap() -> None:
    """``em_iterations`` is the E-steps run (extrapolated points included), never more than ``max_em``."""
    x, _ = _design("complete")
    for cap in (1, 2, 3, 4, 7):
        assert fit_2pl(x, max_em=cap, eap=False).em_iterations <= cap
        assert fit_2pl(x, max_em=cap, eap=False, accelerate=False).em_iterations == cap
    free = fit_2pl(x, eap=False)
    assert fit_2pl(x, max_em=free.em_iterations, eap=False).em_iterations == free.em_iterations
