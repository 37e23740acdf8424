"""Whole-exam helpers: the cyclic collector pauses and comes back as it was, however the pauses nest; id tables give
numpy's answers without sorting millions of ids."""

from __future__ import annotations

import gc
import threading

import numpy as np
import pytest

from ground.bulk import distinct_ids, gc_paused, gc_paused_call, id_positions


def test_paused_inside_and_restored_after_nesting_and_errors() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "the inner exit leaves the outer pause in place"
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("a job that fails")
    assert gc.isenabled(), "a failing job does not leave the collector off"


def test_a_collector_already_off_stays_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_jobs_in_two_threads_restore_it_once_both_are_out() -> None:
    inside, release = threading.Event(), threading.Event()

    @gc_paused_call
    def job() -> str:
        inside.set()
        release.wait(10)
        return "done"

    out: list[str] = []
    worker = threading.Thread(target=lambda: out.append(job()))
    worker.start()
    assert inside.wait(10)
    with gc_paused():
        pass
    assert not gc.isenabled(), "the other thread's job is still running"
    release.set()
    worker.join(10)
    assert out == ["done"] and gc.isenabled()


@pytest.mark.parametrize("spread", [1, 10**12], ids=["narrow ids: a table", "wide ids: a sort"])
def test_distinct_ids_and_positions_agree_with_numpy(spread: int) -> None:
    """Both paths give np.unique's distinct ids, first positions and counts, and each value's place among keys."""
    rng = np.random.default_rng(7)
    values = rng.integers(0, 500, 20_000) * spread + 3
    ids, first, counts = distinct_ids(values)
    want = np.unique(values, return_index=True, return_counts=True)
    for got, expected in zip((ids, first, counts), want, strict=True):
        np.testing.assert_array_equal(got, expected)
    keys = rng.permutation(ids)[:300]
    pos = id_positions(keys, values)
    hit = np.isin(values, keys)
    np.testing.assert_array_equal(keys[pos[hit]], values[hit])
    assert (pos[~hit] == -1).all() and (~hit).any()


def test_distinct_ids_and_positions_of_nothing() -> None:
    ids, first, counts = distinct_ids(np.zeros(0, dtype=np.int64))
    assert ids.size == first.size == counts.size == 0
    assert id_positions(np.zeros(0, dtype=np.int64), np.array([4, 5])).tolist() == [-1, -1]
    assert id_positions(np.array([4]), np.zeros(0, dtype=np.int64)).size == 0
