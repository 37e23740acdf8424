"""One leader among an installation's serving processes, for the jobs that must run once.

The deadline sweep (finishing expired papers), sealing the audit chain and clearing the connection marks of a
process that stopped are the installation's jobs, not each process's: with N workers they would otherwise run N
times a second. Every serving process runs an election each second; exactly one holds the leadership:

- **PostgreSQL**: a session-level advisory lock (``pg_try_advisory_lock``) taken on a dedicated connection that
  does nothing else. The lock lives as long as that connection: a leader that is killed (or whose machine dies: the
  connection carries TCP keepalives both ways) loses its connection, PostgreSQL releases the lock, and the next
  process to poll takes it — within about a second for a killed process. The connection is named
  ``exam-engine leader <process id>`` (``application_name``), so ``pg_stat_activity`` shows who leads.
- **SQLite**: an exclusive ``flock`` on ``<database>.leader.lock`` next to the database: the kernel releases it when
  the holder dies. With the one process of a room, that process simply leads.

The jobs are idempotent besides (finishing a paper twice returns the same receipt; sealers lock the chain's end),
so the short moment in which an old leader has not yet noticed the loss of its connection does no harm.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

from ground import liveness
from ground.concurrency import run_blocking

log = logging.getLogger(__name__)

LEADER_LOCK_ID = 0x6C656164  # "lead": the PostgreSQL advisory lock of the leadership (the migration lock is "exam")
POLL_S = 1.0
APPLICATION_NAME = "exam-engine leader"


class Leadership:
    """This process's part in the election for one database: take the leadership when free, notice its loss."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.held = False
        self._mutex = threading.Lock()
        self._conn: Connection | None = None  # PostgreSQL: the dedicated connection that holds the lock
        self._fd: int | None = None  # SQLite: the locked file

    def poll(self) -> bool:
        """Take the leadership if it is free, or check that it is still held; whether this process leads now.

        Blocking (a database round trip): call it off the event loop."""
        with self._mutex:
            was = self.held
            try:
                self.held = self._poll_postgres() if self._postgres else self._poll_file()
            except Exception:  # noqa: BLE001 - a lost database is a lost leadership, tried again next poll
                log.exception("leader election failed")
                self._drop()
                self.held = False
            if self.held != was:
                log.warning("this process %s the run-once jobs (%s)", "now leads" if self.held else "no longer leads",
                            liveness.process_id())
            return self.held

    def release(self) -> None:
        """Give the leadership up (a clean stop): the next process takes it at its next poll."""
        with self._mutex:
            self._drop()
            self.held = False

    @property
    def _postgres(self) -> bool:
        return make_url(self.db_url).get_backend_name() == "postgresql"

    # ---- PostgreSQL -------------------------------------------------------------------------------------------
    def _poll_postgres(self) -> bool:
        if self._conn is not None and self.held:
            self._conn.execute(text("SELECT 1"))  # the lock lives as long as this connection does
            return True
        if self._conn is None:
            self._conn = _dedicated_connection(self.db_url)
        return bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": LEADER_LOCK_ID}).scalar())

    # ---- SQLite -----------------------------------------------------------------------------------------------
    def _poll_file(self) -> bool:
        if self._fd is not None:
            return True  # a flock is held until this process closes the file or dies
        path = lock_path(self.db_url)
        if path is None:  # an in-memory database: nobody else can share it
            return True
        import fcntl

        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, liveness.process_id().encode())
        self._fd = fd
        return True

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - already broken
                pass
            self._conn = None
        if self._fd is not None:
            os.close(self._fd)  # releases the flock
            self._fd = None


def _dedicated_connection(db_url: str) -> Connection:
    """A connection of its own (not from the pool), in autocommit, that notices a dead peer within seconds."""
    engine = create_engine(
        db_url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
        connect_args={"application_name": f"{APPLICATION_NAME} {liveness.process_id()}"[:63],
                      "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 2},
    )
    conn = engine.connect()
    # the server side too: a leader whose machine lost power is noticed by PostgreSQL, which releases the lock
    for setting in ("tcp_keepalives_idle = 5", "tcp_keepalives_interval = 2", "tcp_keepalives_count = 2"):
        conn.execute(text(f"SET {setting}"))
    return conn


def lock_path(db_url: str) -> Path | None:
    """The SQLite leadership's lock file, next to the database (None for an in-memory database)."""
    database = make_url(db_url).database
    if not database or database == ":memory:":
        return None
    return Path(f"{database}.leader.lock")


def current_leader(db_url: str) -> str | None:
    """The process id (``ground.liveness.process_id``) of the leader of the installation at ``db_url``, or None."""
    if make_url(db_url).get_backend_name() == "postgresql":
        engine = create_engine(db_url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                name = conn.execute(text(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database()) "
                    "AND l.objsubid = 1 AND ((l.classid::bigint << 32) | l.objid::bigint) = :id"
                ), {"id": LEADER_LOCK_ID}).scalar()
        finally:
            engine.dispose()
        return name[len(APPLICATION_NAME) + 1:] if name else None
    path = lock_path(db_url)
    if path is None or not path.exists():
        return None
    import fcntl

    with path.open("rb") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return fh.read().decode() or None  # held: the holder wrote its name
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        return None


# ---- the serving process's election -------------------------------------------------------------------------

_elections: dict[str, Leadership] = {}


def leads(app: Flask | None = None, db_url: str | None = None) -> bool:
    """Whether this process runs the installation's run-once jobs.

    A process without an election running (a test app, a one-off command) does them itself, as before there were
    several processes: they are idempotent."""
    if db_url is None:
        from ground.runtime import runtime

        db_url = runtime(app).db_url
    election = _elections.get(db_url)
    return True if election is None else election.held


def start(app: Flask) -> Leadership:
    """Take part in the election (a first poll now, so the only process leads before it serves), then every second."""
    from ground.extensions import socketio
    from ground.runtime import runtime

    db_url = runtime(app).db_url
    election = _elections.get(db_url)
    if election is None:
        election = _elections[db_url] = Leadership(db_url)
        run_blocking(election.poll)
        socketio.start_background_task(_campaign, election)
    return election


def _campaign(election: Leadership) -> None:
    from ground.extensions import socketio

    while True:
        socketio.sleep(POLL_S)
        run_blocking(election.poll)

