"""Vectorised scoring of many papers at once: (candidates × questions) chosen options → subtest scores.

The batch path behind re-scoring a whole exam and the million-candidate benchmark; per question it
looks up the points of the option the candidate chose in one gather, chunked to stay in cache.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CHUNK = 32768  # rows per gather: keeps the index buffer in L2/L3 instead of streaming 110M int64s


def points_table(option_points: Sequence[Sequence[float]]) -> np.ndarray:
    """(items, width+1) float32 points per item and option slot; the extra last column (0) is "blank"."""
    width = max((len(p) for p in option_points), default=0)
    table = np.zeros((len(option_points), width + 1), dtype=np.float32)
    for i, pts in enumerate(option_points):
        table[i, : len(pts)] = pts
    return table


def score_matrix(
    items: np.ndarray,
    choice: np.ndarray,
    table: np.ndarray,
    sections: Sequence[tuple[int, int]],
) -> np.ndarray:
    """Subtest scores (n, len(sections)) float64.

    ``items`` (n, q): row of ``table`` each question uses; ``choice`` (n, q): option slot chosen, −1 blank;
    ``sections``: the [start, stop) question columns of each subtest, in the rules' subtest order.
    """
    n, q = items.shape
    if choice.shape != (n, q):
        raise ValueError(f"choice must have the shape of items {items.shape}, got {choice.shape}")
    width = table.shape[1]
    blank = width - 1
    flat = np.ascontiguousarray(table, dtype=np.float32).ravel()
    out = np.empty((n, len(sections)), dtype=np.float64)
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        c = choice[lo:hi].astype(np.int32)
        if (c >= blank).any() or (c < -1).any():
            raise ValueError(f"an option slot is out of range: valid are -1 (blank) and 0..{blank - 1}")
        c[c < 0] = blank
        idx = items[lo:hi].astype(np.int32) * np.int32(width) + c
        pts = flat[idx]
        for s, (a, b) in enumerate(sections):
            out[lo:hi, s] = pts[:, a:b].sum(axis=1, dtype=np.float64)
    return out
