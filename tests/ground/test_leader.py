"""One leader for the run-once jobs: an advisory lock on PostgreSQL, a file lock on SQLite, handed over when freed."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from ground import leader, liveness


def test_one_leader_at_a_time_and_the_next_one_takes_over(db_url: str) -> None:
    first, second = leader.Leadership(db_url), leader.Leadership(db_url)  # two processes' elections, in one
    try:
        assert leader.current_leader(db_url) is None
        assert first.poll() is True
        assert second.poll() is False, "the lock is held: the second process waits"
        assert first.poll() is True and second.poll() is False, "polling again keeps it where it is"
        assert leader.current_leader(db_url) == liveness.process_id(), "the database names the leader"

        first.release()  # what the death of its process does (its connection or file closes)
        assert leader.current_leader(db_url) is None
        assert second.poll() is True, "the next poll takes the free leadership"
        assert first.poll() is False
        assert leader.current_leader(db_url) == liveness.process_id()
    finally:
        first.release()
        second.release()


def test_a_leader_that_lost_its_connection_knows_it(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        return  # a file lock cannot be lost while its process lives
    first, second = leader.Leadership(db_url), leader.Leadership(db_url)
    try:
        assert first.poll() is True
        assert first._conn is not None
        backend = first._conn.execute(text("SELECT pg_backend_pid()")).scalar()
        admin = create_engine(db_url, poolclass=NullPool)
        with admin.connect() as conn:  # the server ends the leader's session (a network cut, a restart)
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        admin.dispose()
        assert second.poll() is True, "the lock went with the session"
        assert first.poll() is False, "the old leader notices at its next poll"
        assert first.poll() is False and second.poll() is True
    finally:
        first.release()
        second.release()


def test_without_an_election_a_process_does_the_jobs_itself() -> None:
    assert leader.leads(db_url="sqlite:///nowhere/never-elected.sqlite3") is True
