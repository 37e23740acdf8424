"""Ability scoring at scale: EAP (theta and SE) of 100,000 people × 100 right/wrong items (target < 5 s).

Printed against baselines measured in the same run on the same matrix: the raw score (``np.nansum`` per row,
what the ability is shown next to), and a plain EAP (a Python loop over people, each a likelihood product over
the grid) on a slice, scaled up. Also: a Stocking-Lord link of two 100-item calibrations on 30 anchors.

    .venv/bin/python benchmarks/ability.py [--n 100000] [--items 100] [--slice 2000] [--missing 0.1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring.analysis.ability import eap, link  # noqa: E402
from scoring.analysis.irt import quadrature  # noqa: E402


def simulate(n: int, k: int, missing: float, seed: int = 2026) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                       np.ndarray]:
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0.6, 2.0, k), rng.normal(0.0, 1.0, k)
    theta = rng.standard_normal(n)
    x = np.empty((n, k))
    for s in range(0, n, 20_000):
        t = theta[s : s + 20_000]
        p = 1.0 / (1.0 + np.exp(-a[None, :] * (t[:, None] - b[None, :])))
        x[s : s + 20_000] = rng.random(p.shape) < p
    x[rng.random(x.shape) < missing] = np.nan  # items not shown (drawn forms)
    return x, a, b, theta


def plain_eap(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One person at a time: the likelihood on each grid node as a product over the items shown."""
    nodes, w = quadrature(61)
    p = 1.0 / (1.0 + np.exp(-a[:, None] * (nodes[None, :] - b[:, None])))
    theta, se = np.empty(len(x)), np.empty(len(x))
    for i, row in enumerate(x):
        post = w.copy()
        for j, v in enumerate(row):
            if v == v:  # not NaN
                post = post * (p[j] if v == 1.0 else 1.0 - p[j])
        post /= post.sum()
        theta[i] = post @ nodes
        se[i] = np.sqrt(post @ nodes**2 - theta[i] ** 2)
    return theta, se


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--items", type=int, default=100)
    ap.add_argument("--slice", type=int, default=2_000)
    ap.add_argument("--missing", type=float, default=0.1)
    args = ap.parse_args()

    t0 = time.perf_counter()
    x, a, b, theta = simulate(args.n, args.items, args.missing)
    print(f"data: {args.n:,} people × {args.items} items, {args.missing:.0%} not shown, float64 "
          f"({x.nbytes / 1e6:.0f} MB), simulated in {time.perf_counter() - t0:.2f} s")

    t0 = time.perf_counter()
    raw = np.nansum(x, axis=1)
    t_raw = time.perf_counter() - t0
    t0 = time.perf_counter()
    est = eap(x, a, b)
    t_eap = time.perf_counter() - t0
    rmse = float(np.sqrt(np.mean((est.theta - theta) ** 2)))
    corr = np.corrcoef(est.theta, theta)[0, 1]
    print(f"EAP, {args.n:,} × {args.items}, 61 nodes: {t_eap:.2f} s [target < 5 s: {'OK' if t_eap < 5 else 'SLOW'}]"
          f"  mean SE {est.se.mean():.3f}, RMSE vs true theta {rmse:.3f}, corr {corr:.3f}")
    print(f"  baseline raw score (np.nansum): {t_raw:.3f} s -> EAP costs {t_eap / t_raw:.0f}× the raw sum; "
          f"corr(raw, theta) {np.corrcoef(raw, theta)[0, 1]:.3f}")

    m = min(args.slice, args.n)
    t0 = time.perf_counter()
    th_plain, se_plain = plain_eap(x[:m], a, b)
    t_plain = time.perf_counter() - t0
    t0 = time.perf_counter()
    est_m = eap(x[:m], a, b)
    t_m = time.perf_counter() - t0
    agree = max(np.abs(th_plain - est_m.theta).max(), np.abs(se_plain - est_m.se).max())
    print(f"  baseline plain EAP loop on {m:,} rows: {t_plain:.2f} s (≈ {t_plain * args.n / m:.0f} s for "
          f"{args.n:,}) vs {t_m:.3f} s -> {t_plain / t_m:.0f}× faster; max |difference| {agree:.1e}")

    rng = np.random.default_rng(7)
    a2 = a * 1.2 * rng.lognormal(0, 0.05, a.size)
    b2 = (b - 0.5) / 1.2 + rng.normal(0, 0.05, b.size)
    t0 = time.perf_counter()
    lk = link(a, b, a2, b2, [(j, j) for j in range(30)])
    print(f"Stocking-Lord link, 30 anchors: {1000 * (time.perf_counter() - t0):.1f} ms, A={lk.A:.3f} B={lk.B:.3f} "
          f"(true 1.2, 0.5)")


if __name__ == "__main__":
    main()
