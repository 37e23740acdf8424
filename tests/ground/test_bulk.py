"""The cyclic collector pauses for a whole-exam job and comes back as it was, however the pauses nest."""

from __future__ import annotations

import gc
import threading

import pytest

from ground.bulk import gc_paused, gc_paused_call


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
