"""Ranking within groups (formations) by ordered keys, vectorised: one sort for a million candidates.

Rule (documented in docs/scoring.md): eligible candidates are ordered per group by the keys in
priority order, larger first. Candidates equal on *every* key share a rank (competition ranking:
1, 2, 2, 4), and a candidate advances when their rank is within the group's slots — so everyone
exactly tied at the boundary advances, even if that exceeds the slots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RankArrays:
    """``rank`` (0 = not ranked), ``advances``, and ``order``: ranked indices sorted by (group, rank)."""

    rank: np.ndarray  # int64 (n,)
    advances: np.ndarray  # bool (n,)
    order: np.ndarray  # int64 (m,) m = eligible count


def _packed_key(group: np.ndarray, keys: Sequence[np.ndarray]) -> np.ndarray | None:
    """One int64 sort key (group, then each key descending) when all keys are small integers; else None."""
    parts: list[tuple[np.ndarray, int]] = []
    bits_used = 0
    g = group.astype(np.int64, copy=False)
    gmax = int(g.max()) if g.size else 0
    if g.size and int(g.min()) < 0:
        return None
    parts.append((g, max(1, gmax.bit_length())))
    bits_used += parts[-1][1]
    for k in keys:
        if k.dtype.kind == "f":
            if not np.isfinite(k).all() or (k.size and np.abs(k).max() > 2**52):
                return None
            ki = k.astype(np.int64)
            if not np.array_equal(ki, k):
                return None
        else:
            ki = k.astype(np.int64, copy=False)
        lo, hi = (int(ki.min()), int(ki.max())) if ki.size else (0, 0)
        width = max(1, (hi - lo).bit_length())
        parts.append(((hi - ki), width))  # descending: the largest value gets 0
        bits_used += width
    if bits_used > 62:
        return None
    packed = np.zeros(group.shape[0], dtype=np.int64)
    for values, width in parts:
        packed <<= np.int64(width)
        packed |= values
    return packed


def rank_within_groups(
    group: np.ndarray,
    eligible: np.ndarray,
    keys: Sequence[np.ndarray],
    slots: np.ndarray,
) -> RankArrays:
    """Rank ``eligible`` rows within each ``group`` (int ids indexing ``slots``) by ``keys``, larger first."""
    n = group.shape[0]
    for k in keys:
        if k.shape != (n,):
            raise ValueError(f"every ranking key must have shape ({n},), got {k.shape}")
        if k.dtype.kind == "f" and np.isnan(k[eligible]).any():
            raise ValueError("a ranking key is NaN for an eligible candidate")
    idx = np.flatnonzero(eligible)
    g = group[idx]
    sub_keys = [np.asarray(k)[idx] for k in keys]
    packed = _packed_key(g, sub_keys)
    if packed is not None:
        perm = np.argsort(packed, kind="stable")
        order = idx[perm]
        ps = packed[perm]
        same_as_prev = np.r_[False, ps[1:] == ps[:-1]]
    else:
        perm = np.lexsort([-k for k in reversed(sub_keys)] + [g])
        order = idx[perm]
        same_as_prev = np.r_[False, np.ones(len(order) - 1, dtype=bool)] if len(order) else np.zeros(0, bool)
        for k in sub_keys:
            ks = k[perm]
            same_as_prev[1:] &= ks[1:] == ks[:-1]
        gs_ = g[perm]
        same_as_prev[1:] &= gs_[1:] == gs_[:-1]
    gs = g[perm]
    m = len(order)
    pos = np.arange(m, dtype=np.int64)
    new_group = np.r_[True, gs[1:] != gs[:-1]] if m else np.zeros(0, bool)
    group_start = np.maximum.accumulate(np.where(new_group, pos, 0)) if m else pos
    block_start = np.maximum.accumulate(np.where(~same_as_prev, pos, 0)) if m else pos
    ranks = block_start - group_start + 1
    rank = np.zeros(n, dtype=np.int64)
    rank[order] = ranks
    advances = np.zeros(n, dtype=bool)
    advances[order] = ranks <= np.asarray(slots)[gs]
    return RankArrays(rank=rank, advances=advances, order=order)
