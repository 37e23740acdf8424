"""Grouped and relaxed commits (ground/db.py): what they write is there, many commits share fsyncs, and a
connection goes back to the pool durable (synchronous=FULL) whatever the last transaction used."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from ground import db


@pytest.fixture()
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'g.sqlite3'}"
    with db.session_scope(url) as s:
        s.execute(text("CREATE TABLE t (n INTEGER)"))
    return url


def test_grouped_commits_are_all_written_with_fewer_fsyncs(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fsyncs: list[int] = []
    real = os.fsync
    monkeypatch.setattr(db.os, "fsync", lambda fd: (fsyncs.append(fd), real(fd))[1])
    gate = threading.Barrier(8)

    def commit(n: int) -> None:
        gate.wait()
        for i in range(10):
            with db.session_scope(url, grouped=True) as s:
                s.execute(text("INSERT INTO t VALUES (:n)"), {"n": n * 100 + i})

    threads = [threading.Thread(target=commit, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.session_scope(url) as s:
        assert s.scalar(text("SELECT COUNT(*) FROM t")) == 80
    assert 1 <= len(fsyncs) <= 80  # one per commit at worst, shared when commits overlap


def test_a_relaxed_connection_returns_to_the_pool_durable(url: str) -> None:
    with db.session_scope(url, durable=False) as s:
        assert s.scalar(text("PRAGMA synchronous")) == 1  # NORMAL for this transaction
        s.execute(text("INSERT INTO t VALUES (1)"))
    with db.session_scope(url) as s:
        assert s.scalar(text("PRAGMA synchronous")) == 2  # FULL again
        assert s.scalar(text("SELECT COUNT(*) FROM t")) == 1


def test_pool_threads_queue_on_the_writer_lock_and_all_commit(url: str) -> None:
    """Native threads writing at once (as gevent's pool does) all get through, none waits on SQLite's busy sleeps."""
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(20):
                with db.session_scope(url) as s:
                    s.execute(text("SELECT COUNT(*) FROM t")).scalar()
                    s.execute(text("INSERT INTO t VALUES (:n)"), {"n": n * 1000 + i})
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert not db._writer.holding and not db._writer.lock.locked()
    with db.session_scope(url) as s:
        assert s.scalar(text("SELECT COUNT(*) FROM t")) == 120
