"""EAP ability under 2PL items and linking two calibrations on anchor items (pure numpy, issue 18)."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.analysis.ability import eap, link, transform
from scoring.analysis.irt import fit_2pl


def simulate(theta: np.ndarray, a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    p = 1.0 / (1.0 + np.exp(-a[None, :] * (theta[:, None] - b[None, :])))
    return (rng.random(p.shape) < p).astype(np.float64)


def brute_force(x: np.ndarray, a: np.ndarray, b: np.ndarray, mean: float = 0.0, sd: float = 1.0
                ) -> tuple[float, float]:
    """Posterior mean and SD by a fine trapezoid integral over [-12, 12] (no grid shared with the code)."""
    t = np.linspace(mean - 12 * sd, mean + 12 * sd, 48_001)
    seen = ~np.isnan(x)
    p = 1.0 / (1.0 + np.exp(-a[seen, None] * (t[None, :] - b[seen, None])))
    xs = x[seen][:, None]
    like = np.prod(np.where(xs == 1, p, 1 - p), axis=0) * np.exp(-0.5 * ((t - mean) / sd) ** 2)
    z = np.trapezoid(like, t)
    m = np.trapezoid(t * like, t) / z
    v = np.trapezoid((t - m) ** 2 * like, t) / z
    return float(m), float(np.sqrt(v))


ITEMS_A = np.array([0.6, 1.0, 1.4, 2.0, 0.9, 1.7, 1.2, 0.8])
ITEMS_B = np.array([-1.8, -0.9, -0.2, 0.0, 0.5, 1.1, 1.6, 2.3])


@pytest.mark.parametrize("prior", [(0.0, 1.0), (0.4, 1.3)])
def test_eap_matches_a_brute_force_integral(prior: tuple[float, float]) -> None:
    rng = np.random.default_rng(3)
    x = simulate(rng.normal(size=12), ITEMS_A, ITEMS_B, rng)
    x[rng.random(x.shape) < 0.2] = np.nan  # some items not shown
    x[0], x[1] = 1.0, 0.0  # all right, all wrong
    est = eap(x, ITEMS_A, ITEMS_B, quad_points=201, prior_mean=prior[0], prior_sd=prior[1])
    default = eap(x, ITEMS_A, ITEMS_B, prior_mean=prior[0], prior_sd=prior[1])  # 61 points, as calibrated
    for i in range(x.shape[0]):
        m, s = brute_force(x[i], ITEMS_A, ITEMS_B, *prior)
        assert est.theta[i] == pytest.approx(m, abs=1e-6) and est.se[i] == pytest.approx(s, abs=1e-6)
        assert default.theta[i] == pytest.approx(m, abs=2e-3) and default.se[i] == pytest.approx(s, abs=2e-3)
    assert list(est.n_items) == [int((~np.isnan(r)).sum()) for r in x]


def test_nan_means_not_shown_and_unfitted_items_are_skipped() -> None:
    rng = np.random.default_rng(4)
    x = simulate(rng.normal(size=50), ITEMS_A, ITEMS_B, rng)
    gap = x.copy()
    gap[:, [2, 5]] = np.nan
    dropped = eap(np.delete(x, [2, 5], axis=1), np.delete(ITEMS_A, [2, 5]), np.delete(ITEMS_B, [2, 5]))
    with_gap = eap(gap, ITEMS_A, ITEMS_B)
    np.testing.assert_allclose(with_gap.theta, dropped.theta, atol=1e-12)
    np.testing.assert_allclose(with_gap.se, dropped.se, atol=1e-12)
    a = ITEMS_A.copy()
    a[[2, 5]] = np.nan  # not fitted: the answers to those items are ignored
    unfitted = eap(x, a, ITEMS_B)
    np.testing.assert_allclose(unfitted.theta, dropped.theta, atol=1e-12)
    assert (unfitted.n_items == 6).all()
    nobody = eap(np.full((2, 8), np.nan), ITEMS_A, ITEMS_B, prior_mean=0.5, prior_sd=2.0)
    np.testing.assert_allclose(nobody.theta, 0.5, atol=1e-9)
    np.testing.assert_allclose(nobody.se, 2.0, rtol=1e-3)  # the grid's SD of the prior
    assert (nobody.n_items == 0).all()


def test_all_right_and_all_wrong_are_finite_and_extreme() -> None:
    rng = np.random.default_rng(5)
    x = simulate(rng.normal(size=200), ITEMS_A, ITEMS_B, rng)
    x = np.vstack([np.ones(8), np.zeros(8), x])
    est = eap(x, ITEMS_A, ITEMS_B)
    assert np.isfinite(est.theta).all() and np.isfinite(est.se).all() and (est.se > 0).all()
    assert est.theta[0] == est.theta.max() and est.theta[1] == est.theta.min()
    assert 1.0 < est.theta[0] < 4.0 and -4.0 < est.theta[1] < -1.0
    others = x[2:].sum(axis=1)
    assert est.theta[0] > est.theta[2:][others < 8].max() and est.theta[1] < est.theta[2:][others > 0].min()


def test_se_decreases_with_test_length() -> None:
    rng = np.random.default_rng(6)
    k = 80
    a, b = rng.uniform(0.8, 2.0, k), rng.normal(0, 1, k)
    theta = rng.normal(size=2000)
    x = simulate(theta, a, b, rng)
    se, err = [], []
    for length in (5, 10, 20, 40, 80):
        est = eap(x[:, :length], a[:length], b[:length])
        se.append(float(est.se.mean()))
        err.append(float(np.sqrt(np.mean((est.theta - theta) ** 2))))
    assert all(s2 < s1 for s1, s2 in zip(se, se[1:], strict=False))
    assert se[-1] < 0.3 < 0.55 < se[0]
    # The posterior SD is an honest error: it matches the actual RMSE against the true ability.
    np.testing.assert_allclose(err, se, rtol=0.1)


def test_a_linear_change_of_scale_moves_the_estimates_with_it() -> None:
    rng = np.random.default_rng(7)
    x = simulate(rng.normal(size=30), ITEMS_A, ITEMS_B, rng)
    A, B = 1.3, -0.4
    est = eap(x, ITEMS_A, ITEMS_B)
    a2, b2 = transform(ITEMS_A, ITEMS_B, A, B)
    moved = eap(x, a2, b2, prior_mean=B, prior_sd=A)
    np.testing.assert_allclose(moved.theta, A * est.theta + B, atol=1e-10)
    np.testing.assert_allclose(moved.se, A * est.se, atol=1e-10)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="1 \\(right\\), 0 \\(wrong\\) or NaN"):
        eap(np.array([[1.0, 2.0]]), [1.0, 1.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="one value per item"):
        eap(np.zeros((3, 2)), [1.0], [0.0, 0.0])
    with pytest.raises(ValueError, match="positive SD"):
        eap(np.zeros((3, 2)), [1.0, 1.0], [0.0, 0.0], prior_sd=0.0)
    with pytest.raises(ValueError, match="unknown linking method"):
        link([1, 1], [0, 1], [1, 1], [0, 1], [(0, 0), (1, 1)], method="haebara")
    with pytest.raises(ValueError, match="at least two anchor items"):
        link([1, 1], [0, 1], [1, np.nan], [0, 1], [(0, 0), (1, 1)])
    with pytest.raises(ValueError, match="outside its form"):
        link([1, 1], [0, 1], [1, 1], [0, 1], [(0, 0), (1, 2)])


@pytest.mark.parametrize("method", ["stocking-lord", "mean-sigma", "mean-mean"])
def test_linking_recovers_a_known_transformation(method: str) -> None:
    rng = np.random.default_rng(8)
    a1, b1 = rng.uniform(0.7, 2.0, 30), rng.normal(0, 1, 30)
    A, B = 1.25, 0.6  # form 2's scale: theta_1 = A theta_2 + B
    a2, b2 = a1 * A, (b1 - B) / A
    a2[[3, 4]] = np.nan  # two anchors not fitted on form 2: skipped
    lk = link(a1, b1, a2, b2, [(j, j) for j in range(12)], method=method)
    assert lk.A == pytest.approx(A, abs=1e-6) and lk.B == pytest.approx(B, abs=1e-6)
    assert lk.anchors == 10 and lk.method == method
    ok = np.isfinite(a2)
    np.testing.assert_allclose(lk.a[ok], a1[ok], atol=1e-6)
    np.testing.assert_allclose(lk.b[ok], b1[ok], atol=1e-6)
    assert np.isnan(lk.a[3]) and np.isnan(lk.b[4])
    np.testing.assert_allclose(lk.theta(np.array([0.0, 1.0])), [B, A + B], atol=1e-6)


def test_two_forms_on_common_anchors_give_agreeing_abilities() -> None:
    """Issue 18's proof: two forms sharing anchor items, each calibrated (2PL) on its own sample, form 2 linked to
    form 1 (Stocking-Lord); the same people's EAP abilities on the two forms agree within their standard errors."""
    rng = np.random.default_rng(2026)
    n_anchor, n_unique = 15, 25
    a_all = rng.uniform(0.8, 2.0, n_anchor + 2 * n_unique)
    b_all = rng.normal(0.0, 1.0, n_anchor + 2 * n_unique)
    form1 = np.r_[np.arange(n_anchor), n_anchor + np.arange(n_unique)]  # anchors first, then its own items
    form2 = np.r_[n_unique + n_anchor + np.arange(n_unique // 2), np.arange(n_anchor),
                  n_unique + n_anchor + np.arange(n_unique // 2, n_unique)]  # anchors in the middle
    anchors = [(int(np.flatnonzero(form1 == j)[0]), int(np.flatnonzero(form2 == j)[0])) for j in range(n_anchor)]

    # Each form calibrated on its own cohort; the second cohort is abler and more spread (a year later), so the
    # two calibrations' scales differ: theta on form 2's scale = (theta - 0.5) / 1.2.
    fit1 = fit_2pl(simulate(rng.normal(0.0, 1.0, 3000), a_all[form1], b_all[form1], rng), eap=False)
    fit2 = fit_2pl(simulate(rng.normal(0.5, 1.2, 3000), a_all[form2], b_all[form2], rng), eap=False)
    assert fit1.converged and fit2.converged
    lk = link(fit1.a, fit1.b, fit2.a, fit2.b, anchors)
    assert lk.anchors == n_anchor
    assert lk.A == pytest.approx(1.2, abs=0.08) and lk.B == pytest.approx(0.5, abs=0.08)

    # The same people sit both forms.
    theta = rng.normal(0.2, 1.0, 2000)
    est1 = eap(simulate(theta, a_all[form1], b_all[form1], rng), fit1.a, fit1.b)
    x2 = simulate(theta, a_all[form2], b_all[form2], rng)
    est2 = eap(x2, lk.a, lk.b)
    diff = est1.theta - est2.theta
    bound = 2.0 * np.sqrt(est1.se**2 + est2.se**2)
    assert np.mean(np.abs(diff) < bound) >= 0.95
    assert abs(diff.mean()) < 0.05
    assert np.corrcoef(est1.theta, est2.theta)[0, 1] > 0.85
    assert abs(np.mean(est1.theta - theta)) < 0.1 and abs(np.mean(est2.theta - theta)) < 0.1

    # Without the link the second form's estimates sit on another scale: the check above would fail.
    raw = eap(x2, fit2.a, fit2.b)
    assert abs((est1.theta - raw.theta).mean()) > 0.3
    # Mean/sigma on the same anchors lands near the same constants (a check on Stocking-Lord's optimiser).
    ms = link(fit1.a, fit1.b, fit2.a, fit2.b, anchors, method="mean-sigma")
    assert ms.A == pytest.approx(lk.A, abs=0.15) and ms.B == pytest.approx(lk.B, abs=0.15)
