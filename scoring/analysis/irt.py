"""The two-parameter logistic model (2PL) by marginal maximum likelihood: Bock-Aitkin EM, then Newton.

P(correct | theta) = 1 / (1 + exp(-(a * theta + d))), difficulty b = -d / a, ability theta ~ N(0, 1).
The normal prior is integrated on a fixed grid (default 61 points on [-6, 6], the weights being the normal
density normalised to sum 1 — the grid mirt uses). EM cycles (E-step: posterior weights of every candidate
on the grid, as one BLAS product; M-step: one Newton step per item on the expected counts, all items at
once) bring the estimates near the maximum; Newton-Raphson on the marginal likelihood itself, with the exact
observed information from Louis' (1982) identity, then converges. The information is computed where Newton
starts and kept while the steps shrink at least tenfold each (recomputed otherwise); from the EM end that
usually takes as many steps as recomputing it every time. The information at the final estimates gives the standard
errors (b's by the delta method). Abilities are EAP: posterior means and SDs on the grid.

The EM is accelerated by SQUAREM (Varadhan & Roland 2008, step length SqS3): from two EM steps it jumps
along their secant, with the step at least 1 and growing fourfold after each jump that reaches its cap; a jump
that leaves the parameter bounds or lowers the log-likelihood gives way to the plain second EM step. EM alone
converges linearly, its steps shrinking by a near-constant ratio; the accelerated EM meets the same stopping test
in about half the E-steps (20 -> 10 on 100,000 x 35), and Newton then ends at the same maximum.
``em_iterations`` counts E-steps (the cost), the extrapolated points' included.

Incomplete designs (``presented``: each candidate sees s of a pool of k items) get the same exact information,
but each candidate's Louis terms (the posterior covariance of its score) are built on the s items that
candidate saw (batched (2s x 2s) products in row blocks, added into the item-pair bins by bincount),
O(n * nodes * s^2) instead of O(n * nodes * k^2).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

E_CHUNK_ROWS = 131_072
LOUIS_BLOCK_BYTES = 4 << 20  # temporaries of one row block of the incomplete-design information (cache-sized)
LOUIS_THREADS = min(2, os.cpu_count() or 1)  # numpy releases the GIL in the batched products, the bulk of it
A_BOUNDS = (-8.0, 8.0)
D_BOUNDS = (-20.0, 20.0)


@dataclass
class IrtFit:
    """2PL estimates per item (NaN for items that could not be fitted) and the fit's summary."""

    a: np.ndarray
    b: np.ndarray
    d: np.ndarray
    se_a: np.ndarray
    se_b: np.ndarray
    se_d: np.ndarray
    loglik: float
    quadrature_points: int
    em_iterations: int  # E-steps the EM phase ran (with SQUAREM: its extrapolated points' too), not cycles
    newton_iterations: int
    converged: bool
    fitted: np.ndarray  # bool per item: False when the item had no variance (all right or all wrong)
    theta: np.ndarray | None = None  # EAP ability per candidate
    theta_se: np.ndarray | None = None
    nodes: np.ndarray | None = None


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -z)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(_log_sigmoid(z))


class _Data:
    """The 0/1 matrix as float64 chunks of items x candidates, converted once, so each E-step only multiplies.

    Items by candidates because BLAS runs the (nq x k) @ (k x n) likelihood product several times faster than
    the (n x k) @ (k x nq) one; with an incomplete design the presentation mask is stacked under the answers
    (2k x candidates), so an E-step is one product each way per chunk.
    """

    def __init__(self, x: np.ndarray, presented: np.ndarray | None) -> None:
        self.n, self.k = x.shape
        if presented is not None and presented.all():
            presented = None  # every item shown to everyone: the complete design's closed-form information
        self.complete = presented is None
        self.chunks: list[np.ndarray] = []
        for s in range(0, self.n, E_CHUNK_ROWS):
            xs = x[s : s + E_CHUNK_ROWS]
            if presented is None:
                self.chunks.append(np.ascontiguousarray(xs.T, dtype=np.float64))
                continue
            yt = np.empty((2 * self.k, xs.shape[0]))
            yt[self.k :] = presented[s : s + E_CHUNK_ROWS].T
            np.multiply(xs.T, yt[self.k :], out=yt[: self.k])
            self.chunks.append(yt)
        self._shown: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None

    def shown(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per chunk, each candidate's presented columns, answers and a validity mask, padded to the longest row.

        Louis' terms of a candidate live on the items that candidate saw, so the incomplete-design
        information works on these (n x s) gathers instead of the (n x k) matrices.
        """
        if self._shown is None:
            self._shown = []
            if self.complete:
                raise ValueError("a complete design has no per-candidate item lists")
            for yt in self.chunks:
                nc = yt.shape[1]
                rows, cols = np.nonzero(yt[self.k :].T)
                counts = np.bincount(rows, minlength=nc)
                width = int(counts.max()) if counts.size else 0
                pos = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
                idx = np.zeros((nc, width), dtype=np.intp)
                ans = np.zeros((nc, width))
                valid = np.zeros((nc, width), dtype=bool)
                idx[rows, pos] = cols
                ans[rows, pos] = yt[cols, rows]
                valid[rows, pos] = True
                self._shown.append((idx, ans, valid))
        return self._shown


def _louis_incomplete(idx: np.ndarray, ans: np.ndarray, valid: np.ndarray, w: np.ndarray, p: np.ndarray,
                      nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum over candidates of the posterior covariance of u on the shown items: O(n * nq * s^2), not O(n * nq * k^2).

    u_iq = (t_q d_iq, d_iq) with d_iq = x_i - P_q over the s items candidate i saw; its posterior covariance
    E[u u'] - g g' (g = E[u], the expected score) is Louis' per-candidate term. Row blocks build
    sqrt(w_iq) (u_iq - g_i), whose batched product with itself (BLAS syrk) gives the centred (2s x 2s) blocks,
    then add them into k x k bins by bincount: aa in the upper triangle, dd below it (both symmetric; the rows'
    items are in ascending order), ad in a bin of its own. Returns (tri, dd_diag, ad).
    """
    n, s = idx.shape
    k, nq = p.shape
    tri, ad, dd_diag = np.zeros(k * k), np.zeros(k * k), np.zeros(k)
    if s == 0:
        return tri, dd_diag, ad
    sw = np.sqrt(w)
    wg = np.stack([w * nodes, w], axis=2)  # (n, nq, 2): weights of E[t d] and E[d]
    upper = np.triu(np.ones((s, s), dtype=bool))
    rows = max(1, LOUIS_BLOCK_BYTES // (8 * s * (4 * nq + 12 * s)))
    ragged = not valid.all()
    for b0 in range(0, n, rows):
        j = idx[b0 : b0 + rows]
        m = j.shape[0]
        u = np.empty((m, 2 * s, nq))
        dev = u[:, s:]
        np.take(p, j, axis=0, out=dev, mode="clip")  # indices are valid; "clip" only spares take a buffer
        dev -= ans[b0 : b0 + rows, :, None]  # P - x on the shown items (the sign cancels in u u')
        if ragged:
            dev *= valid[b0 : b0 + rows, :, None]
        g = np.matmul(dev, wg[b0 : b0 + rows])  # (m, s, 2): posterior means of t d and d
        np.multiply(dev, nodes, out=u[:, :s])
        u[:, :s] -= g[:, :, :1]
        dev -= g[:, :, 1:]
        u *= sw[b0 : b0 + rows, None, :]
        blk = u @ u.transpose(0, 2, 1)  # (m, 2s, 2s): [[aa, ad], [da, dd]]
        pair = (j[:, :, None] * k + j[:, None, :]).ravel()
        tri += np.bincount(pair, np.where(upper, blk[:, :s, :s], blk[:, s:, s:]).ravel(), minlength=k * k)
        ad += np.bincount(pair, blk[:, :s, s:].ravel(), minlength=k * k)
        dd_diag += np.bincount(j.ravel(), np.diagonal(blk[:, s:, s:], axis1=1, axis2=2).ravel(), minlength=k)
    return tri, dd_diag, ad


def _louis_threaded(idx: np.ndarray, ans: np.ndarray, valid: np.ndarray, w: np.ndarray, p: np.ndarray,
                    nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``_louis_incomplete`` on LOUIS_THREADS row ranges at once (it is the bulk of a Newton step's cost)."""
    n = idx.shape[0]
    parts = min(LOUIS_THREADS, max(1, n // 1024))
    if parts == 1:
        return _louis_incomplete(idx, ans, valid, w, p, nodes)
    cuts = np.linspace(0, n, parts + 1).astype(int)

    def part(i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = slice(cuts[i], cuts[i + 1])
        return _louis_incomplete(idx[rows], ans[rows], valid[rows], w[rows], p, nodes)

    with ThreadPoolExecutor(parts) as pool:
        res = list(pool.map(part, range(parts)))
    tri, dd_diag, ad = (np.sum([r[i] for r in res], axis=0) for i in range(3))
    return tri, dd_diag, ad


def _estep(data: _Data, a: np.ndarray, d: np.ndarray, nodes: np.ndarray, log_prior: np.ndarray, *,
           louis: bool = False, eap: bool = False) -> dict[str, object]:
    """Posterior weights per candidate on the grid, summed into expected counts (and Louis' terms)."""
    z = a[:, None] * nodes[None, :] + d[:, None]  # (k, Q)
    log_p, log_q = _log_sigmoid(z), _log_sigmoid(-z)
    p = np.exp(log_p)
    logit_term = log_p - log_q
    k, nq = z.shape
    r = np.zeros((k, nq))
    cnt = np.zeros((k, nq))
    loglik = 0.0
    out: dict[str, object] = {}
    complete = data.complete
    if louis:
        xtx = [np.zeros((k, k)) for _ in range(3)]  # sum_i E[theta^m | x_i] x_i x_i'  (complete designs)
        gg = np.zeros((2 * k, 2 * k))
        pt = p * nodes[None, :]
        acc = np.zeros((3, k, k))  # sum_i (g g' - E[u u']) as aa, ad, dd blocks
        shown = None if complete else data.shown()
    thetas, thetas_se = [], []
    # log-likelihood on the grid: x'(log P - log Q) + m' log Q + log prior, m = 1 everywhere when complete
    tab = logit_term if complete else np.vstack([logit_term, log_q])
    shift = log_q.sum(axis=0) + log_prior if complete else log_prior
    for c, yt in enumerate(data.chunks):
        ll = tab.T @ yt  # (Q, n_chunk)
        ll += shift[:, None]
        mx = ll.max(axis=0)
        ll -= mx
        wt = np.exp(ll, out=ll)
        tot = wt.sum(axis=0)
        wt *= 1.0 / tot
        loglik += float(np.log(tot).sum() + mx.sum())
        w = wt.T  # (n_chunk, Q): posterior weights
        rc = yt @ w  # expected right answers (and, incomplete, presentations) per item and node
        r += rc[:k]
        cnt += wt.sum(axis=1)[None, :] if complete else rc[k:]
        if eap or louis:
            th = nodes @ wt
            th2 = (nodes**2) @ wt
        if eap:
            thetas.append(th)
            thetas_se.append(np.sqrt(np.maximum(th2 - th**2, 0.0)))
        if louis and complete:
            xc = yt.T
            # Expected score per candidate: g_a = x*E[theta] - E[P theta], g_d = x - E[P].
            g = np.hstack([xc * th[:, None] - w @ pt.T, xc - w @ p.T])
            gg += g.T @ g
            xtx[0] += xc.T @ xc
            xtx[1] += (xc * th[:, None]).T @ xc
            xtx[2] += (xc * th2[:, None]).T @ xc
        elif louis:
            tri, dd_diag, ad = _louis_threaded(*shown[c], w, p, nodes)  # type: ignore[index]
            tri = tri.reshape(k, k)
            upper, lower = np.triu(tri), np.tril(tri, -1)
            acc[0] -= upper + upper.T - np.diag(np.diag(upper))
            acc[1] -= ad.reshape(k, k)
            acc[2] -= lower + lower.T + np.diag(dd_diag)
    out.update(r=r, n=cnt, loglik=loglik, p=p)
    if eap:
        out["theta"] = np.concatenate(thetas) if thetas else np.zeros(0)
        out["theta_se"] = np.concatenate(thetas_se) if thetas_se else np.zeros(0)
    if louis:
        if complete:
            # sum_i w_iq (x_i - P_q)(x_i - P_q)' = X'W_qX - r_q P_q' - P_q r_q' + n_q P_q P_q', weighted by theta^m
            s_m = []
            for m in range(3):
                tm = nodes**m
                am = (r * tm[None, :]) @ p.T
                s_m.append(xtx[m] - am - am.T + (p * (cnt[0] * tm)[None, :]) @ p.T)
            acc[0] = gg[:k, :k] - s_m[2]
            acc[1] = gg[:k, k:] - s_m[1]
            acc[2] = gg[k:, k:] - s_m[0]
        out["louis"] = acc
    return out


def _gradient(e: dict[str, object], nodes: np.ndarray) -> np.ndarray:
    resid = e["r"] - e["n"] * e["p"]  # type: ignore[operator]
    return np.concatenate([resid @ nodes, resid.sum(axis=1)])


def _observed_information(e: dict[str, object], nodes: np.ndarray) -> np.ndarray:
    """Louis: I = E[complete information] - E[score score'] + E[score] E[score]' (summed over candidates)."""
    p, cnt = e["p"], e["n"]
    w = cnt * p * (1.0 - p)  # type: ignore[operator]
    k = w.shape[0]
    info = np.zeros((2 * k, 2 * k))
    idx = np.arange(k)
    info[idx, idx] = w @ nodes**2
    info[idx, k + idx] = info[k + idx, idx] = w @ nodes
    info[k + idx, k + idx] = w.sum(axis=1)
    louis = e["louis"]
    info[:k, :k] += louis[0]  # type: ignore[index]
    info[:k, k:] += louis[1]  # type: ignore[index]
    info[k:, :k] += louis[1].T  # type: ignore[index]
    info[k:, k:] += louis[2]  # type: ignore[index]
    return (info + info.T) / 2.0


def _mstep(a: np.ndarray, d: np.ndarray, r: np.ndarray, cnt: np.ndarray, nodes: np.ndarray,
           steps: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Newton steps on every item's expected complete-data log-likelihood at once (2x2 systems)."""
    for _ in range(steps):
        p = _sigmoid(a[:, None] * nodes[None, :] + d[:, None])
        resid = r - cnt * p
        ga, gd = resid @ nodes, resid.sum(axis=1)
        w = cnt * p * (1.0 - p)
        haa, had, hdd = w @ nodes**2, w @ nodes, w.sum(axis=1)
        det = haa * hdd - had**2
        det = np.where(np.abs(det) < 1e-12, 1e-12, det)
        da = (hdd * ga - had * gd) / det
        dd = (haa * gd - had * ga) / det
        scale = np.minimum(1.0, 1.0 / np.maximum(np.abs(da), np.abs(dd)).clip(min=1e-12))
        a = np.clip(a + scale * da, *A_BOUNDS)
        d = np.clip(d + scale * dd, *D_BOUNDS)
    return a, d


def _plain_em(data: _Data, a: np.ndarray, d: np.ndarray, nodes: np.ndarray, log_prior: np.ndarray, max_em: int,
              em_tol: float) -> tuple[np.ndarray, np.ndarray, int]:
    """Bock-Aitkin EM until one cycle moves no estimate by ``em_tol``; returns (a, d, E-steps taken)."""
    em_it = 0
    for em_it in range(1, max_em + 1):  # noqa: B007 - the count is reported
        e = _estep(data, a, d, nodes, log_prior)
        a_new, d_new = _mstep(a, d, e["r"], e["n"], nodes)  # type: ignore[arg-type]
        change = max(np.abs(a_new - a).max(), np.abs(d_new - d).max())
        a, d = a_new, d_new
        if change < em_tol:
            break
    return a, d, em_it


def _squarem(data: _Data, a: np.ndarray, d: np.ndarray, nodes: np.ndarray, log_prior: np.ndarray, max_em: int,
             em_tol: float) -> tuple[np.ndarray, np.ndarray, int]:
    """EM extrapolated by SQUAREM (SqS3), stopping by the same test as ``_plain_em``; returns (a, d, E-steps).

    Near the maximum EM's steps keep nearly one direction and shrink by a near-constant ratio, so the secant of
    two steps points far along the path; SQUAREM jumps along it. A point outside the bounds or below the cycle's
    starting log-likelihood is refused for the plain second EM step, so every cycle starts no lower.
    """
    k = a.size
    theta = np.concatenate([a, d])
    lo = np.repeat([A_BOUNDS[0], D_BOUNDS[0]], k)
    hi = np.repeat([A_BOUNDS[1], D_BOUNDS[1]], k)
    step_max = 1.0  # Varadhan & Roland's defaults: the step may grow fourfold after each jump that reaches it
    steps = 0
    e: dict[str, object] | None = None  # the E-step at ``theta`` when an accepted jump already ran it

    def em(theta: np.ndarray, e: dict[str, object] | None) -> tuple[np.ndarray, float, bool]:
        nonlocal steps
        if e is None:
            e = _estep(data, theta[:k], theta[k:], nodes, log_prior)
            steps += 1
        a_new, d_new = _mstep(theta[:k], theta[k:], e["r"], e["n"], nodes)  # type: ignore[arg-type]
        new = np.concatenate([a_new, d_new])
        return new, float(e["loglik"]), float(np.abs(new - theta).max()) < em_tol  # type: ignore[arg-type]

    while e is not None or steps < max_em:
        theta1, ll0, done = em(theta, e)
        if done or steps >= max_em:
            theta = theta1
            break
        theta2, _ll1, done = em(theta1, None)
        if done or steps >= max_em:
            theta = theta2
            break
        r = theta1 - theta
        v = theta2 - theta1 - r
        sv = float(v @ v)
        alpha = min(max(np.sqrt(float(r @ r) / sv), 1.0), step_max) if sv > 0 else 1.0
        jump = theta + 2.0 * alpha * r + alpha**2 * v  # at alpha = 1 this is theta2: nothing to check
        e, ok = None, alpha == 1.0
        if not ok and np.all(jump >= lo) and np.all(jump <= hi):
            e = _estep(data, jump[:k], jump[k:], nodes, log_prior)
            steps += 1
            ok = float(e["loglik"]) >= ll0  # type: ignore[arg-type]
        if ok and e is not None:
            theta = jump  # the next cycle's first EM step starts from the E-step just run here
        else:
            theta, e = theta2, None
        if alpha == step_max:
            step_max = step_max * 4.0 if ok else max(1.0, step_max / 4.0)
    return theta[:k], theta[k:], steps


def quadrature(points: int = 61, limit: float = 6.0, rule: str = "rectangular") -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights (summing to 1) for integrating over N(0, 1).

    ``rectangular``: equally spaced on [-limit, limit], normal density weights (mirt's default grid);
    ``gauss-hermite``: Gauss-Hermite nodes scaled for the standard normal (ltm's default, with 21 points).
    """
    if rule == "gauss-hermite":
        x, w = np.polynomial.hermite.hermgauss(points)
        return x * np.sqrt(2.0), w / w.sum()
    if rule != "rectangular":
        raise ValueError(f"unknown quadrature rule {rule!r}")
    nodes = np.linspace(-limit, limit, points)
    w = np.exp(-0.5 * nodes**2)
    return nodes, w / w.sum()


def fit_2pl(x: np.ndarray, presented: np.ndarray | None = None, *, quadrature_points: int = 61,
            limit: float = 6.0, rule: str = "rectangular", max_em: int = 500, em_tol: float = 1e-3,
            newton_tol: float = 1e-7, max_newton: int = 25, eap: bool = True, accelerate: bool = True) -> IrtFit:
    """Fit the 2PL to a 0/1 matrix (candidates x items); ``presented`` marks cells of an incomplete design.

    ``accelerate=False`` runs the EM unextrapolated (the reference the SQUAREM path is tested against).
    """
    x = np.asarray(x)
    n, k_all = x.shape
    if presented is not None:
        seen = presented.sum(axis=0)
        right = (x.astype(bool) & presented).sum(axis=0)
    else:
        seen = np.full(k_all, n)
        right = x.sum(axis=0, dtype=np.int64)
    fitted = (seen >= 2) & (right > 0) & (right < seen)
    cols = np.flatnonzero(fitted)
    nan = np.full(k_all, np.nan)
    nodes, prior = quadrature(quadrature_points, limit, rule)
    if cols.size == 0:
        return IrtFit(nan.copy(), nan.copy(), nan.copy(), nan.copy(), nan.copy(), nan.copy(), float("nan"),
                      quadrature_points, 0, 0, False, fitted, nodes=nodes)
    data = _Data(x[:, cols], None if presented is None else presented[:, cols])
    log_prior = np.log(prior)
    pj = right[cols] / seen[cols]
    a = np.ones(cols.size)
    d = np.log(pj / (1.0 - pj)) * 1.3

    a, d, em_it = (_squarem if accelerate else _plain_em)(data, a, d, nodes, log_prior, max_em, em_tol)

    converged = False
    nt = 0
    # Louis' information is the costly part of a Newton step (incomplete designs above all), so the steps reuse
    # the one from where Newton starts (a chord method: from the EM end it contracts as fast as Newton) and
    # recompute it only where the steps stop shrinking tenfold or the line search has to cut one.
    e = _estep(data, a, d, nodes, log_prior, louis=True)
    info = _observed_information(e, nodes)
    last = np.inf
    for nt in range(1, max_newton + 1):  # noqa: B007
        grad = _gradient(e, nodes)
        try:
            np.linalg.cholesky(info)
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            break
        base = e["loglik"]
        t = 1.0
        while True:
            a_try = np.clip(a + t * step[: cols.size], *A_BOUNDS)
            d_try = np.clip(d + t * step[cols.size :], *D_BOUNDS)
            e_try = _estep(data, a_try, d_try, nodes, log_prior)
            if e_try["loglik"] >= base - 1e-9 or t < 1e-3:  # type: ignore[operator]
                break
            t /= 2.0
        a, d, e = a_try, d_try, e_try
        size = float(np.abs(t * step).max())
        if size < newton_tol:
            converged = True
            break
        if t < 1.0 or size > 0.1 * last:
            e = _estep(data, a, d, nodes, log_prior, louis=True)
            info = _observed_information(e, nodes)
        last = size
    final = _estep(data, a, d, nodes, log_prior, louis=True, eap=eap)  # the standard errors' information
    info = _observed_information(final, nodes)
    try:
        cov = np.linalg.inv(info)
        var = np.diag(cov)
        ok = np.all(var > 0)
    except np.linalg.LinAlgError:
        ok = False
    kk = cols.size
    if ok:
        var_a, var_d = var[:kk], var[kk:]
        cov_ad = cov[np.arange(kk), kk + np.arange(kk)]
        ga, gd = d / a**2, -1.0 / a
        var_b = ga**2 * var_a + gd**2 * var_d + 2.0 * ga * gd * cov_ad
        se = (np.sqrt(var_a), np.sqrt(np.maximum(var_b, 0.0)), np.sqrt(var_d))
    else:
        se = (np.full(kk, np.nan),) * 3
        converged = False

    def spread(v: np.ndarray) -> np.ndarray:
        out = nan.copy()
        out[cols] = v
        return out

    return IrtFit(
        a=spread(a), b=spread(-d / a), d=spread(d), se_a=spread(se[0]), se_b=spread(se[1]), se_d=spread(se[2]),
        loglik=float(final["loglik"]), quadrature_points=quadrature_points, em_iterations=em_it,
        newton_iterations=nt, converged=converged, fitted=fitted,
        theta=final.get("theta") if eap else None,  # type: ignore[arg-type]
        theta_se=final.get("theta_se") if eap else None,  # type: ignore[arg-type]
        nodes=nodes,
    )


def eap_scores(fit: IrtFit, x: np.ndarray, presented: np.ndarray | None = None, *, limit: float = 6.0,
               rule: str = "rectangular") -> tuple[np.ndarray, np.ndarray, float]:
    """EAP abilities (and SDs) of any candidates under fitted items, plus their marginal log-likelihood.

    Used when the items were calibrated on a sample: one E-step scores everyone else.
    """
    cols = np.flatnonzero(fit.fitted)
    nodes, prior = quadrature(fit.quadrature_points, limit, rule)
    data = _Data(np.asarray(x)[:, cols], None if presented is None else presented[:, cols])
    e = _estep(data, fit.a[cols], fit.d[cols], nodes, np.log(prior), eap=True)
    return e["theta"], e["theta_se"], float(e["loglik"])  # type: ignore[return-value]


def icc(a: float, b: float, theta: np.ndarray) -> np.ndarray:
    """Probability of a right answer at each theta (for plots)."""
    return _sigmoid(a * (np.asarray(theta) - b))
