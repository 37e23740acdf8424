"""What ground.jobs carries to and from a child process: an AppError whole, the clock as it stands, the key folders;
and the child itself, run as the server runs it."""

from __future__ import annotations

import pickle
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ground import clock, db, keyring
from ground.errors import AppError
from scoring.store.announcement import OpenPaper, PapersStillOpen
from tests.live import ROOT


def test_an_app_error_crosses_with_its_code_message_status_and_details() -> None:
    err = pickle.loads(pickle.dumps(AppError("busy", "Coba lagi.", 503, retry_after=4)))
    assert (type(err), err.code, err.message, err.status, err.details) == (AppError, "busy", "Coba lagi.", 503,
                                                                            {"retry_after": 4})
    assert err.body() == {"error": {"code": "busy", "message": "Coba lagi.", "details": {"retry_after": 4}}}


def test_a_refusal_naming_the_open_papers_crosses_with_them() -> None:
    papers = [OpenPaper("P001", "Ani", "R1", "started")]
    err = pickle.loads(pickle.dumps(PapersStillOpen("SKD-1", papers)))
    assert (type(err), err.papers, str(err)) == (PapersStillOpen, papers, str(PapersStillOpen("SKD-1", papers)))


def test_a_snapshot_of_the_clock_restores_a_frozen_or_shifted_time() -> None:
    clock.freeze(datetime(2026, 12, 3, 1, 2, 3, tzinfo=UTC))
    frozen = clock.snapshot()
    clock.reset()
    clock.restore(frozen)
    assert clock.now() == datetime(2026, 12, 3, 1, 2, 3, tzinfo=UTC)
    clock.reset()
    clock.advance(3600)
    shifted = clock.snapshot()
    clock.reset()
    clock.restore(shifted)
    assert abs(clock.now() - datetime.now(UTC) - timedelta(hours=1)) < timedelta(seconds=5)


def test_the_child_runs_the_call_in_the_parents_clock_keys_and_locale_and_sends_errors_back(tmp_path: Path) -> None:
    """``python -m ground.jobs`` as run_apart starts it: what it prints goes to stderr, its answer to stdout."""
    keyring.register("sqlite:////nowhere/exam.sqlite3", tmp_path)

    def child(call: tuple[str, str], *args: object) -> tuple[str, object]:
        spec = {"call": call, "args": args, "kwargs": {}, "keys": keyring.registered(),
                "clock": (datetime(2030, 1, 1, tzinfo=UTC), timedelta(0)), "locale": "en"}
        done = subprocess.run([sys.executable, "-m", "ground.jobs"], input=pickle.dumps(spec), capture_output=True,
                              cwd=ROOT, check=True)
        return pickle.loads(done.stdout)  # type: ignore[no-any-return]

    assert child(("ground.clock", "now")) == ("ok", datetime(2030, 1, 1, tzinfo=UTC))
    assert child(("ground.keyring", "data_dir_for_url"), "sqlite:////nowhere/exam.sqlite3") == ("ok", tmp_path)
    assert child(("ground.i18n", "current_locale")) == ("ok", "en")
    url = f"sqlite:///{tmp_path / 'exam.sqlite3'}"
    db.upgrade(url)
    kind, err = child(("committee.jobs", "annul_and_rescore"), url, "NOPE", [1], "award", "objection", "test")
    assert kind == "raise" and isinstance(err, AppError), (kind, err)
    assert (err.code, err.message, err.status) == ("unknown_exam", "No exam with code NOPE.", 404)
    kind, err = child(("ground.keyring", "data_dir_for_url"), "postgresql://nowhere/else")
    assert kind == "raise" and isinstance(err, keyring.NoKeyFolderError)
