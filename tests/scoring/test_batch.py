"""The batch scorer and the benchmark's vectorised path agree with the per-candidate loop."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from scoring.batch import points_table, score_matrix
from scoring.presets import preset


def test_score_matrix_hand_computed() -> None:
    table = points_table([[5, 0, 0, 0], [0, 0, 5, 0], [1, 2, 3, 4, 5]])
    items = np.array([[0, 1, 2], [1, 0, 2]], dtype=np.int32)
    choice = np.array([[0, 2, 4], [-1, 1, 0]], dtype=np.int8)
    out = score_matrix(items, choice, table, [(0, 2), (2, 3)])
    assert out.tolist() == [[10.0, 5.0], [0.0, 1.0]]


def test_score_matrix_rejects_out_of_range_slot() -> None:
    table = points_table([[5, 0]])
    with pytest.raises(ValueError, match="option slot is out of range"):
        score_matrix(np.zeros((1, 1), np.int32), np.array([[2]], np.int8), table, [(0, 1)])
    with pytest.raises(ValueError, match="shape"):
        score_matrix(np.zeros((1, 2), np.int32), np.zeros((1, 1), np.int8), table, [(0, 1)])


def test_benchmark_paths_agree_on_a_small_run() -> None:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "ranking.py"
    spec = importlib.util.spec_from_file_location("bench_ranking", path)
    bench = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(bench)  # type: ignore[union-attr]
    rules = preset("skd-2024")
    option_points, table, items, choice, group, quotas, paths = bench.make_data(3000, seed=5)
    group = group % 50  # crowded formations so ties and cuts happen
    sel = bench.vectorised(table, items, choice, group, quotas, paths, rules)
    outcomes, ranks = bench.python_loop(option_points, items, choice, group, quotas, paths, rules)
    assert [o.passed for o in outcomes] == sel.grades.passed.tolist()
    assert [o.total for o in outcomes] == sel.grades.total.tolist()
    assert [ranks.get(i, (0, False)) for i in range(3000)] == list(
        zip(sel.ranks.rank.tolist(), sel.ranks.advances.tolist(), strict=True)
    )
    assert 0 < sel.ranks.advances.sum() < sel.grades.passed.sum()


def test_score_matrix_fractional_points_threads_and_bad_items() -> None:
    rng = np.random.default_rng(1)
    option_points = [[0.5, 1.25, 0, 2, 3] for _ in range(50)]
    table = points_table(option_points)
    items = rng.integers(0, 50, (40000, 10), dtype=np.int32)  # > one chunk: threaded path
    choice = rng.integers(-1, 5, (40000, 10)).astype(np.int8)
    out = score_matrix(items, choice, table, [(0, 4), (4, 10)], workers=2)
    expect = np.where(choice >= 0, np.array(option_points[0])[np.maximum(choice, 0)], 0.0)
    assert np.allclose(out[:, 0], expect[:, :4].sum(axis=1)) and np.allclose(out[:, 1], expect[:, 4:].sum(axis=1))
    assert np.array_equal(out, score_matrix(items, choice, table, [(0, 4), (4, 10)], workers=1))
    with pytest.raises(ValueError, match="item index is out of range"):
        score_matrix(np.full((1, 1), 50, np.int32), np.zeros((1, 1), np.int8), table, [(0, 1)])
