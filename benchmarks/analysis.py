"""Item analysis at SKD scale: classical statistics of 1,000,000 candidates × 110 items (target < 5 s), a
2PL fit of one 35-item subtest for 100,000 candidates (target < 30 s), and a 2PL fit of an incomplete
design: a 300-item pool of which each of 100,000 papers shows 30 (SKD's TWK bank draw).

Each figure is printed with a ratio against a straightforward baseline measured in the same run:
classical — a per-item loop (np.corrcoef per item, totals recomputed without the item for alpha-if-deleted,
a bincount per item and score group for distractors) on a slice, against the vectorised code on that slice;
2PL — one EM cycle written plainly (a Python loop over quadrature nodes in the E-step, a scalar Newton
step per item in the M-step), against one E-step + M-step of ``scoring.analysis.irt``, and the whole fit with
the EM unaccelerated (``accelerate=False``) against the SQUAREM one;
incomplete 2PL — the Louis E-step as it was first written (dense (n x k) work and a k x k product per
quadrature node, O(n * nodes * k^2)) on a slice, against ``scoring.analysis.irt``'s on that slice.

    .venv/bin/python benchmarks/analysis.py [--n 1000000] [--irt-n 100000] [--slice 100000]
                                            [--pool-n 100000] [--pool-slice 5000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring.analysis.classical import classical_statistics  # noqa: E402
from scoring.analysis.irt import (  # noqa: E402
    _Data,
    _estep,
    _mstep,
    _observed_information,
    fit_2pl,
    quadrature,
)
from scoring.analysis.responses import OMITTED, ItemInfo, OptionInfo, ResponseMatrix, score_choices  # noqa: E402

SECTIONS = {"TWK": 30, "TIU": 35, "TKP": 45}


def skd_items() -> list[ItemInfo]:
    items = []
    for sub, count in SECTIONS.items():
        pts = [5.0, 0.0, 0.0, 0.0, 0.0] if sub != "TKP" else [5.0, 4.0, 3.0, 2.0, 1.0]
        for j in range(count):
            items.append(ItemInfo(f"{sub}{j + 1}", 5.0, tuple(OptionInfo(c, p) for c, p in zip("ABCDE", pts,
                                                                                               strict=True)),
                                  subtest=sub))
    return items


def simulate(n: int, seed: int = 2026) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Option choices (int8) from a 2PL for TWK/TIU and a graded pattern for TKP, in 100k-row chunks."""
    rng = np.random.default_rng(seed)
    k_dich = SECTIONS["TWK"] + SECTIONS["TIU"]
    a = rng.uniform(0.6, 2.0, k_dich)
    b = rng.uniform(-2.0, 2.0, k_dich)
    choices = np.empty((n, 110), dtype=np.int8)
    for s in range(0, n, 100_000):
        m = min(100_000, n - s)
        theta = rng.standard_normal(m).astype(np.float32)
        p = 1.0 / (1.0 + np.exp(-(a[None, :] * (theta[:, None] - b[None, :])).astype(np.float32)))
        right = rng.random((m, k_dich), dtype=np.float32) < p
        wrong = rng.integers(1, 5, (m, k_dich), dtype=np.int8)
        choices[s : s + m, :k_dich] = np.where(right, 0, wrong)
        tkp = np.clip(np.rint(2.0 - theta[:, None] + rng.normal(0, 1.0, (m, 45)).astype(np.float32)), 0, 4)
        choices[s : s + m, k_dich:] = tkp.astype(np.int8)
    blank = rng.random(choices.shape, dtype=np.float32) < 0.02
    blank[:, 30:65] = False  # TIU keeps pure 2PL data, so the fit's recovery of (a, b) can be printed
    choices[blank] = OMITTED
    return choices, a, b


def baseline_classical(scores: np.ndarray, choices: np.ndarray) -> None:
    """The obvious per-item code a first version would have."""
    x = scores.astype(np.float64)
    t = x.sum(axis=1)
    k = x.shape[1]
    order = np.argsort(t)
    g = int(round(0.27 * len(t)))
    groups = np.ones(len(t), dtype=np.int64)
    groups[order[:g]], groups[order[-g:]] = 0, 2
    for j in range(k):
        np.corrcoef(x[:, j], t)
        rest = t - x[:, j]
        np.corrcoef(x[:, j], rest)
        rest_items = np.delete(x, j, axis=1)
        rest_items.var(axis=0, ddof=1).sum() / rest.var(ddof=1)
        for grp in range(3):
            np.bincount(choices[groups == grp, j] + 1, minlength=6)


def baseline_em_cycle(x: np.ndarray, a: np.ndarray, d: np.ndarray, nodes: np.ndarray, prior: np.ndarray) -> None:
    """One EM cycle written plainly: a loop over nodes, then a scalar Newton step per item."""
    n, k = x.shape
    like = np.empty((n, nodes.size))
    for q, t in enumerate(nodes):
        p = 1.0 / (1.0 + np.exp(-(a * t + d)))
        like[:, q] = np.prod(np.where(x == 1, p, 1.0 - p), axis=1) * prior[q]
    post = like / like.sum(axis=1, keepdims=True)
    for j in range(k):
        r = (post * x[:, j : j + 1]).sum(axis=0)
        cnt = post.sum(axis=0)
        p = 1.0 / (1.0 + np.exp(-(a[j] * nodes + d[j])))
        res = r - cnt * p
        w = cnt * p * (1 - p)
        h = np.array([[w @ nodes**2, w @ nodes], [w @ nodes, w.sum()]])
        np.linalg.solve(h, np.array([res @ nodes, res.sum()]))


def simulate_pool(n: int, k: int = 300, shown: int = 30, seed: int = 7) -> tuple[np.ndarray, ...]:
    """Right/wrong answers (uint8) to ``shown`` items drawn per paper from a k-item pool, from a 2PL."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.6, 2.0, k)
    b = rng.uniform(-2.0, 1.5, k)
    presented = np.zeros((n, k), dtype=bool)
    x = np.zeros((n, k), dtype=np.uint8)
    for s in range(0, n, 100_000):
        m = min(100_000, n - s)
        draw = np.argsort(rng.random((m, k), dtype=np.float32), axis=1)[:, :shown]
        pres = np.zeros((m, k), dtype=bool)
        pres[np.arange(m)[:, None], draw] = True
        theta = rng.standard_normal(m)
        p = 1.0 / (1.0 + np.exp(-a[None, :] * (theta[:, None] - b[None, :])))
        presented[s : s + m] = pres
        x[s : s + m] = (rng.random((m, k)) < p) & pres
    return x, presented, a, b


def baseline_louis_dense(x: np.ndarray, presented: np.ndarray, a: np.ndarray, d: np.ndarray, nodes: np.ndarray,
                         prior: np.ndarray) -> np.ndarray:
    """The incomplete-design Louis information as first written: dense (n x k) work and a k x k product per node."""
    m = presented.astype(np.float64)
    x = x * m
    p = 1.0 / (1.0 + np.exp(-(a[:, None] * nodes[None, :] + d[:, None])))
    ll = x @ np.log(p) + (m - x) @ np.log(1.0 - p) + np.log(prior)[None, :]
    w = np.exp(ll - ll.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    k = a.size
    info = np.zeros((2 * k, 2 * k))
    wpq = (m.T @ w) * p * (1.0 - p)
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
        info[:k, :k] -= t * t * sq
        info[:k, k:] -= t * sq
        info[k:, :k] -= t * sq
        info[k:, k:] -= sq
    return info


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--irt-n", type=int, default=100_000)
    ap.add_argument("--slice", type=int, default=100_000)
    ap.add_argument("--pool-n", type=int, default=100_000)
    ap.add_argument("--pool-slice", type=int, default=5_000)
    args = ap.parse_args()

    t0 = time.perf_counter()
    choices, a_true, b_true = simulate(args.n)
    items = skd_items()
    scores = score_choices(choices, items)
    rm = ResponseMatrix([str(i) for i in range(args.n)], items, scores, choices=choices)
    print(f"data: {args.n:,} candidates × {rm.k} items, choices {choices.dtype}, scores {scores.dtype} "
          f"({(choices.nbytes + scores.nbytes) / 1e6:.0f} MB), generated in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    res = classical_statistics(rm)
    t_classical = time.perf_counter() - t0
    print(f"classical, {args.n:,} × {rm.k} (p, r_pbis, corrected r, alpha-if-deleted, upper-lower, omit rate, "
          f"option tables by score group, alpha, SEM, distribution): {t_classical:.2f} s "
          f"[target < 5 s: {'OK' if t_classical < 5 else 'MISSED'}]  alpha={res.test.alpha:.3f}")

    m = min(args.slice, args.n)
    sl = ResponseMatrix(rm.candidate_ids[:m], items, scores[:m], choices=choices[:m])
    t0 = time.perf_counter()
    classical_statistics(sl)
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    baseline_classical(scores[:m], choices[:m])
    t_base = time.perf_counter() - t0
    print(f"  baseline per-item loop on {m:,} rows: {t_base:.2f} s vs vectorised {t_fast:.3f} s "
          f"-> {t_base / t_fast:.1f}× faster")

    n_irt = min(args.irt_n, args.n)
    x = (choices[:n_irt, 30:65] == 0).astype(np.uint8)  # TIU, right/wrong
    t0 = time.perf_counter()
    fit = fit_2pl(x)
    t_irt = time.perf_counter() - t0
    err_a = np.abs(fit.a - a_true[30:65]).max()
    err_b = np.abs(fit.b - b_true[30:65]).max()
    print(f"2PL fit, {n_irt:,} × 35 (TIU), {fit.quadrature_points} nodes: {t_irt:.2f} s "
          f"[target < 30 s: {'OK' if t_irt < 30 else 'MISSED'}]  EM {fit.em_iterations} + Newton "
          f"{fit.newton_iterations} cycles, converged={fit.converged}, max|a-a0|={err_a:.3f}, "
          f"max|b-b0|={err_b:.3f}, loglik={fit.loglik:.1f}")
    t0 = time.perf_counter()
    plain = fit_2pl(x, accelerate=False)
    t_plain = time.perf_counter() - t0
    print(f"  plain EM (no SQUAREM): {t_plain:.2f} s, EM {plain.em_iterations} + Newton {plain.newton_iterations} "
          f"-> {t_plain / t_irt:.1f}× faster accelerated; estimates equal to "
          f"{max(np.abs(plain.a - fit.a).max(), np.abs(plain.b - fit.b).max()):.0e}")

    nodes, prior = quadrature()
    data = _Data(x, None)
    a0, d0 = np.ones(35), np.zeros(35)
    t0 = time.perf_counter()
    e = _estep(data, a0, d0, nodes, np.log(prior))
    _mstep(a0, d0, e["r"], e["n"], nodes)  # type: ignore[arg-type]
    t_cycle = time.perf_counter() - t0
    t0 = time.perf_counter()
    baseline_em_cycle(x, a0, d0, nodes, prior)
    t_base_cycle = time.perf_counter() - t0
    print(f"  baseline EM cycle (loop over nodes and items): {t_base_cycle:.2f} s vs {t_cycle:.3f} s "
          f"-> {t_base_cycle / t_cycle:.1f}× faster per cycle")

    x, presented, a_pool, b_pool = simulate_pool(args.pool_n)
    k_pool, shown = presented.shape[1], int(presented[0].sum())
    t0 = time.perf_counter()
    fit = fit_2pl(x, presented)
    t_pool = time.perf_counter() - t0
    print(f"2PL fit, incomplete design: {args.pool_n:,} papers × {shown} shown of a {k_pool}-item pool: "
          f"{t_pool:.2f} s  EM {fit.em_iterations} + Newton {fit.newton_iterations} cycles, "
          f"converged={fit.converged}, max|a-a0|={np.nanmax(np.abs(fit.a - a_pool)):.3f}, "
          f"max|b-b0|={np.nanmax(np.abs(fit.b - b_pool)):.3f}, median SE(b)={np.nanmedian(fit.se_b):.4f}")

    m = min(args.pool_slice, args.pool_n)
    cols = np.flatnonzero(fit.fitted)
    a_fit, d_fit = fit.a[cols], fit.d[cols]
    data = _Data(x[:m, cols], presented[:m, cols])
    t0 = time.perf_counter()
    info = _observed_information(_estep(data, a_fit, d_fit, nodes, np.log(prior), louis=True), nodes)
    t_louis = time.perf_counter() - t0
    t0 = time.perf_counter()
    info_base = baseline_louis_dense(x[:m, cols], presented[:m, cols], a_fit, d_fit, nodes, prior)
    t_base_louis = time.perf_counter() - t0
    diff = np.abs(info - info_base).max() / np.abs(info_base).max()
    print(f"  baseline Louis E-step (dense, a k x k product per node) on {m:,} rows: {t_base_louis:.2f} s vs "
          f"{t_louis:.3f} s -> {t_base_louis / t_louis:.1f}× faster (information equal to {diff:.0e} relative)")


if __name__ == "__main__":
    main()
