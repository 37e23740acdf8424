"""Vectorised scoring of many papers at once: (candidates × questions) chosen options → subtest scores.

The batch path behind the million-candidate benchmark: per question it looks up the points of the
chosen option in one gather from a small, cache-resident table, chunked and spread over the cores
(numpy releases the GIL while gathering and summing).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

CHUNK = 16384  # rows per gather: the index and points buffers stay in cache
SLOTS = 256  # table columns: an int8 choice viewed as uint8 indexes it directly, −1 (blank) → 255 → 0 points


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
    workers: int | None = None,
) -> np.ndarray:
    """Subtest scores (n, len(sections)) float64.

    ``items`` (n, q): row of ``table`` each question uses; ``choice`` (n, q): option slot chosen, −1 blank;
    ``sections``: the [start, stop) question columns of each subtest, in the rules' subtest order.
    """
    n, q = items.shape
    if choice.shape != (n, q):
        raise ValueError(f"choice must have the shape of items {items.shape}, got {choice.shape}")
    options = table.shape[1] - 1
    if options >= SLOTS - 1:
        raise ValueError(f"at most {SLOTS - 2} options per question")
    c8 = np.ascontiguousarray(choice, dtype=np.int8)
    if n and (int(c8.min()) < -1 or int(c8.max()) >= options):
        raise ValueError(f"an option slot is out of range: valid are -1 (blank) and 0..{options - 1}")
    if items.size and (int(items.min()) < 0 or int(items.max()) >= table.shape[0]):
        raise ValueError(f"an item index is out of range: the table has {table.shape[0]} items")
    pts = table[:, :options]
    integral = bool(np.all(pts == np.round(pts))) and (pts.size == 0 or float(np.abs(pts).max()) < 2**15)
    wide = np.zeros((table.shape[0], SLOTS), dtype=np.int16 if integral else np.float32)
    wide[:, :options] = pts
    flat = wide.ravel()
    u8 = c8.view(np.uint8)
    items32 = items if items.dtype == np.int32 else items.astype(np.int32)
    out = np.empty((n, len(sections)), dtype=np.float64)
    acc = np.int32 if integral else np.float64

    def run(lo: int) -> None:
        hi = min(n, lo + CHUNK)
        idx = items32[lo:hi] << 8
        idx |= u8[lo:hi]
        got = np.take(flat, idx)
        for s, (a, b) in enumerate(sections):
            out[lo:hi, s] = got[:, a:b].sum(axis=1, dtype=acc)

    starts = range(0, n, CHUNK)
    workers = workers or min(os.cpu_count() or 1, 8)
    if workers <= 1 or n <= CHUNK:
        for lo in starts:
            run(lo)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, starts))
    return out
