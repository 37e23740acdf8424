"""Ability on a common scale: EAP scoring under stored 2PL items, and linking two calibrations on anchor items.

Same parameterisation as ``scoring.analysis.irt`` (no scaling constant D):

    P(correct | theta) = 1 / (1 + exp(-a (theta - b)))        (= sigmoid(a theta + d), d = -a b)

Only dichotomous (right/wrong) items are scored: polytomous items (e.g. TKP's 1-5 points per option) have no 2PL
parameters (the item analysis fits the 2PL to the right/wrong items only), so callers leave them out. An item whose
``a`` or ``b`` is NaN (not fitted) is ignored, as is every NaN response (item not shown to that person).

EAP (Bock & Mislevy 1982): the posterior mean of theta under a normal prior N(prior_mean, prior_sd^2), integrated on
``quad_points`` equally spaced nodes over prior_mean +/- 6 prior_sd with normal-density weights (the grid of
``irt.quadrature`` and of the calibration itself), and the posterior SD as its standard error.

Linking (Kolen & Brennan 2014, ch. 6): a calibration fixes its own sample's ability to N(0, 1), so two forms
calibrated on different samples have scales that differ by a linear map theta_1 = A theta_2 + B. From the anchor
items common to both forms, ``link`` estimates A and B by mean/sigma, mean/mean or Stocking-Lord (1983) and puts
form 2's items on form 1's scale: a* = a / A, b* = A b + B. See docs/ability.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring.analysis.irt import quadrature

EAP_CHUNK_ROWS = 65_536
LINK_METHODS = ("stocking-lord", "mean-sigma", "mean-mean")


@dataclass(frozen=True)
class AbilityEstimates:
    """EAP abilities per person: ``theta`` (posterior mean), ``se`` (posterior SD) and ``n_items`` scored."""

    theta: np.ndarray  # (n,) float64
    se: np.ndarray  # (n,) float64
    n_items: np.ndarray  # (n,) int: items with a response and fitted parameters (0: theta = prior mean)


def _as_items(a: np.ndarray | list[float], b: np.ndarray | list[float], k: int) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=np.float64).reshape(-1)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    if a.shape != (k,) or b.shape != (k,):
        raise ValueError(f"a and b must each hold one value per item ({k}), got {a.shape[0]} and {b.shape[0]}")
    return a, b


def eap(responses: np.ndarray, a: np.ndarray | list[float], b: np.ndarray | list[float], *, quad_points: int = 61,
        prior_mean: float = 0.0, prior_sd: float = 1.0) -> AbilityEstimates:
    """EAP ability and its standard error for every row of ``responses`` under 2PL items (a, b).

    ``responses``: (n_people, n_items) with 1 (right), 0 (wrong) and NaN (not shown / not scored). Items with NaN
    ``a`` or ``b`` are skipped. A person with no scored item gets the prior mean and the prior SD. All-right and
    all-wrong patterns get finite estimates (the prior keeps them finite, unlike maximum likelihood).
    """
    x = np.asarray(responses, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError("responses must be a 2-D array (people x items)")
    n, k = x.shape
    a, b = _as_items(a, b, k)
    if not (np.isfinite(prior_mean) and np.isfinite(prior_sd) and prior_sd > 0):
        raise ValueError("the prior needs a finite mean and a positive SD")
    if quad_points < 2:
        raise ValueError("at least 2 quadrature points are needed")
    seen = ~np.isnan(x)
    if np.any((x[seen] != 0.0) & (x[seen] != 1.0)):
        raise ValueError("responses must be 1 (right), 0 (wrong) or NaN (not shown)")
    usable = np.isfinite(a) & np.isfinite(b)
    cols = np.flatnonzero(usable)
    std_nodes, weights = quadrature(quad_points)
    nodes = prior_mean + prior_sd * std_nodes
    log_prior = np.log(weights)
    z = a[cols, None] * (nodes[None, :] - b[cols, None])  # (k', Q)
    log_p = -np.logaddexp(0.0, -z)
    log_q = -np.logaddexp(0.0, z)
    diff = log_p - log_q
    theta = np.empty(n)
    se = np.empty(n)
    n_items = np.empty(n, dtype=np.int64)
    for s in range(0, n, EAP_CHUNK_ROWS):
        xc = x[s : s + EAP_CHUNK_ROWS, cols]
        mc = seen[s : s + EAP_CHUNK_ROWS, cols]
        right = np.where(mc, xc, 0.0)
        ll = right @ diff + mc.astype(np.float64) @ log_q + log_prior[None, :]  # log posterior up to a constant
        ll -= ll.max(axis=1, keepdims=True)
        w = np.exp(ll, out=ll)
        w /= w.sum(axis=1, keepdims=True)
        th = w @ nodes
        var = w @ (nodes**2) - th**2
        theta[s : s + EAP_CHUNK_ROWS] = th
        se[s : s + EAP_CHUNK_ROWS] = np.sqrt(np.maximum(var, 0.0))
        n_items[s : s + EAP_CHUNK_ROWS] = mc.sum(axis=1)
    return AbilityEstimates(theta=theta, se=se, n_items=n_items)


@dataclass(frozen=True)
class Linking:
    """Form 2 on form 1's scale: theta_1 = A theta_2 + B; its items' a / A and A b + B (NaN where not fitted)."""

    A: float
    B: float
    method: str
    anchors: int  # anchor items used (fitted on both forms)
    a: np.ndarray  # form 2's discriminations on form 1's scale
    b: np.ndarray  # form 2's difficulties on form 1's scale

    def theta(self, theta_2: np.ndarray) -> np.ndarray:
        """Abilities on form 2's own scale mapped to form 1's."""
        return self.A * np.asarray(theta_2) + self.B


def transform(a: np.ndarray, b: np.ndarray, A: float, B: float) -> tuple[np.ndarray, np.ndarray]:
    """Item parameters under theta* = A theta + B: a* = a / A, b* = A b + B."""
    return np.asarray(a, dtype=np.float64) / A, A * np.asarray(b, dtype=np.float64) + B


def _moments(a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray, method: str) -> tuple[float, float]:
    if method == "mean-mean":
        A = float(a2.mean() / a1.mean())
    else:
        s2 = float(b2.std())
        if s2 <= 0:
            raise ValueError("the anchors' difficulties on form 2 do not vary: mean/sigma cannot link them")
        A = float(b1.std() / s2)
    return A, float(b1.mean() - A * b2.mean())


def _stocking_lord(a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray, start: tuple[float, float],
                   quad_points: int) -> tuple[float, float]:
    """Minimise sum_q w_q (TCC_1(theta_q) - TCC_2*(theta_q))^2 over A, B (Gauss-Newton with step halving).

    theta_q and w_q: the N(0, 1) grid on form 1's scale. TCC_2* uses a2 / A and A b2 + B.
    """
    nodes, w = quadrature(quad_points)
    t1 = (1.0 / (1.0 + np.exp(-a1[:, None] * (nodes[None, :] - b1[:, None])))).sum(axis=0)

    def parts(A: float, B: float) -> tuple[float, np.ndarray, np.ndarray]:
        # P2*(theta) = sigmoid(a2 / A (theta - A b2 - B)) = sigmoid(a2 ((theta - B) / A - b2))
        u = (nodes[None, :] - B) / A
        p = 1.0 / (1.0 + np.exp(-a2[:, None] * (u - b2[:, None])))
        resid = t1 - p.sum(axis=0)
        dp = p * (1.0 - p) * a2[:, None]  # dP/du
        dA = (dp * (-u / A)).sum(axis=0)  # du/dA = -(theta - B) / A^2 = -u / A
        dB = (dp * (-1.0 / A)).sum(axis=0)
        jac = np.stack([dA, dB], axis=1)  # d TCC_2* / d(A, B)
        return float((w * resid**2).sum()), resid, jac

    A, B = start
    f, resid, jac = parts(A, B)
    for _ in range(100):
        jw = jac * w[:, None]
        h = jw.T @ jac
        g = jw.T @ resid  # minus half the gradient of f
        try:
            step = np.linalg.solve(h + 1e-12 * np.eye(2), g)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        while True:
            A_try, B_try = A + t * step[0], B + t * step[1]
            if A_try > 0:
                f_try, r_try, j_try = parts(A_try, B_try)
                if f_try <= f:
                    break
            t /= 2.0
            if t < 1e-6:
                return A, B
        A, B, f, resid, jac = A_try, B_try, f_try, r_try, j_try
        if np.abs(t * step).max() < 1e-10:
            break
    return A, B


def link(a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray, anchors: list[tuple[int, int]] |
         np.ndarray, *, method: str = "stocking-lord", quad_points: int = 61) -> Linking:
    """Put form 2's calibration on form 1's scale from their anchor items.

    ``a1, b1``: form 1's item parameters (the reference scale); ``a2, b2``: form 2's, from a separate calibration;
    ``anchors``: pairs (index in form 1, index in form 2) of the same items. Anchors not fitted on both forms (NaN)
    are skipped; at least two are needed. ``method``: ``stocking-lord`` (default; test characteristic curves over
    the N(0, 1) grid, started from mean/sigma), ``mean-sigma`` or ``mean-mean``.
    """
    if method not in LINK_METHODS:
        raise ValueError(f"unknown linking method {method!r} (one of {', '.join(LINK_METHODS)})")
    a1, b1 = (np.asarray(v, dtype=np.float64).reshape(-1) for v in (a1, b1))
    a2, b2 = (np.asarray(v, dtype=np.float64).reshape(-1) for v in (a2, b2))
    if a1.shape != b1.shape or a2.shape != b2.shape:
        raise ValueError("each form needs as many a as b values")
    pairs = np.asarray(anchors, dtype=np.int64).reshape(-1, 2)
    if pairs.size and (pairs[:, 0].min() < 0 or pairs[:, 0].max() >= a1.size or pairs[:, 1].min() < 0
                       or pairs[:, 1].max() >= a2.size):
        raise ValueError("an anchor index is outside its form")
    i1, i2 = pairs[:, 0], pairs[:, 1]
    ok = np.isfinite(a1[i1]) & np.isfinite(b1[i1]) & np.isfinite(a2[i2]) & np.isfinite(b2[i2])
    i1, i2 = i1[ok], i2[ok]
    if i1.size < 2:
        raise ValueError("linking needs at least two anchor items fitted on both forms")
    A, B = _moments(a1[i1], b1[i1], a2[i2], b2[i2], "mean-mean" if method == "mean-mean" else "mean-sigma")
    if method == "stocking-lord":
        A, B = _stocking_lord(a1[i1], b1[i1], a2[i2], b2[i2], (A, B), quad_points)
    if not (np.isfinite(A) and A > 0 and np.isfinite(B)):
        raise ValueError("the anchors give no usable linking constants")
    la, lb = transform(a2, b2, A, B)
    unfitted = ~(np.isfinite(a2) & np.isfinite(b2))
    la[unfitted] = lb[unfitted] = np.nan
    return Linking(A=A, B=B, method=method, anchors=int(i1.size), a=la, b=lb)
