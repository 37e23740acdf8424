"""Database engine and sessions (plain SQLAlchemy 2): one engine per URL, one session per unit of work."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, DateTime, Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from ground.config import create_private, make_private

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class Base(DeclarativeBase):
    """Declarative base of every table."""


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone, so it is restored on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use ground.clock.now()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")  # an acknowledged answer survives a power cut, not only a crash
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _original(module: str, name: str):  # type: ignore[no-untyped-def]
    """The real (unpatched) ``threading`` object: the SQLite writer lock is taken by native threads."""
    try:
        from gevent import monkey

        return monkey.get_original(module, name)
    except ImportError:  # pragma: no cover - gevent is a dependency
        import threading as real

        return getattr(real, name)


class _SqliteWriter:
    """One SQLite writer at a time in this process, queued on a real lock instead of SQLite's busy handler.

    SQLite lets one transaction write at a time; a thread that finds the lock taken sleeps in growing steps
    (1, 2, 5 ... 100 ms) and tries again, so under a room's arrival writers queue behind sleeps, not behind
    each other's fsync. Native worker threads (gevent's pool: every ``run_blocking`` write) queue here in order,
    from their first write statement to the commit or rollback; the hub thread and plain processes (tests, the
    command line) keep SQLite's own waiting, as before. SQLite still decides: this only orders the queue."""

    def __init__(self) -> None:
        self.lock = _original("threading", "Lock")()
        self.get_ident = _original("threading", "get_ident")
        self.main = _original("threading", "main_thread")().ident
        self.owner: int | None = None
        self.holding: set[int] = set()  # the DB-API connections (ids) whose write holds the lock

    def before_execute(self, conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        key = id(conn.connection.dbapi_connection)
        if key in self.holding or statement.lstrip()[:6].upper() in ("SELECT", "PRAGMA"):
            return
        me = self.get_ident()
        if me == self.main:
            return
        if self.owner != me:
            self.lock.acquire()
            self.owner = me
        self.holding.add(key)

    def release(self, dbapi_conn) -> None:  # type: ignore[no-untyped-def]
        """After the commit or rollback itself (the fsync): the next writer starts on a free database."""
        key = id(getattr(dbapi_conn, "dbapi_connection", dbapi_conn))  # a pooled proxy or the DB-API connection
        if key in self.holding:
            self.holding.discard(key)
            if not self.holding:
                self.owner = None
                self.lock.release()

    def install(self, engine: Engine) -> None:
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_conn) -> None:  # type: ignore[no-untyped-def]
            try:
                commit(dbapi_conn)
            finally:
                self.release(dbapi_conn)

        def do_rollback(dbapi_conn) -> None:  # type: ignore[no-untyped-def]
            try:
                rollback(dbapi_conn)
            finally:
                self.release(dbapi_conn)

        dialect.do_commit, dialect.do_rollback = do_commit, do_rollback  # type: ignore[method-assign]
        event.listen(engine, "before_cursor_execute", self.before_execute)
        for name in ("checkin", "invalidate", "close"):  # never left held by a connection that went away
            event.listen(engine, name, lambda dbapi_conn, *_rest: self.release(dbapi_conn))


_writer = _SqliteWriter()


class _WalSync:
    """Group durability for SQLite: transactions commit without their own fsync (synchronous=NORMAL, still atomic
    and in order in the write-ahead log), then wait for one fsync of the log that started after their commit.
    A room's logins and starts, committed one after another, share fsyncs instead of queueing for one each."""

    def __init__(self) -> None:
        self.issued = 0  # tickets: one per commit that waits
        self.synced: dict[str, int] = {}  # log path -> the highest ticket known to be on disk
        self.tickets = _original("threading", "Lock")()
        self.flush = _original("threading", "Lock")()

    def wait(self, wal: str) -> None:
        """Return once this thread's committed transaction is on disk (call it after the commit)."""
        with self.tickets:
            self.issued += 1
            ticket = self.issued
        with self.flush:
            if self.synced.get(wal, 0) >= ticket:
                return  # an fsync that began after our commit has finished meanwhile
            with self.tickets:
                covered = self.issued  # every ticket so far belongs to a commit already written to the log
            try:
                fd = os.open(wal, os.O_RDONLY)  # by name: SQLite may have started a new log file since
            except FileNotFoundError:  # the log was checkpointed into the synced database and removed
                return
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            self.synced[wal] = covered


_walsync = _WalSync()


_engines: dict[str, Engine] = {}
_factories: dict[str, sessionmaker[Session]] = {}
_lock = threading.Lock()


def get_engine(url: str) -> Engine:
    """The process-wide engine for ``url`` (created once, with the SQLite pragmas the exam needs)."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                path = url.split("///", 1)[-1]
                if path and path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                    # SQLite gives its -wal and -shm files the database file's mode: make that owner-only first
                    create_private(Path(path))
                    for extra in ("-wal", "-shm", "-journal"):
                        make_private(Path(path + extra))
                engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
                event.listen(engine, "connect", _sqlite_pragmas)
                _writer.install(engine)
                event.listen(engine, "checkin", _checkin)  # back in the pool: durable again
            else:
                engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
            _engines[url] = engine
            _factories[url] = sessionmaker(engine, expire_on_commit=False)
            if engine.dialect.name == "sqlite":
                event.listen(_factories[url], "do_orm_execute", _read_whole)
        return engine


def _read_whole(state: ORMExecuteState) -> None:
    """On SQLite an ORM read is fetched whole when it runs, unless streamed on purpose (``yield_per``): a half-read
    result holds an old read snapshot, and a write begun on it after another writer's commit fails at once
    ("database is locked", no busy wait) — the bug CI met in the data export (tests/ground/test_half_read_results)."""
    if state.is_select and "yield_per" not in state.execution_options:
        state.update_execution_options(prebuffer_rows=True)


def session_factory(url: str) -> sessionmaker[Session]:
    """The sessionmaker bound to ``url``'s engine."""
    get_engine(url)
    return _factories[url]


def relax_for_group(conn: Connection) -> str | None:
    """For a Core transaction about to begin on ``conn``: commit without its own fsync and return the log to pass
    to :func:`wait_durable` after the commit (``None``: not file SQLite; commit as usual)."""
    wal = _wal_of(conn.engine)
    if wal:
        conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
        conn.info["relaxed"] = True
    return wal


def wait_durable(wal: str | None) -> None:
    """Return once every transaction this thread committed on that SQLite log is on disk (a shared fsync)."""
    if wal:
        _walsync.wait(wal)


def _wal_of(engine: Engine) -> str | None:
    """The write-ahead log of a file SQLite database in WAL mode (``None``: not SQLite, or in memory)."""
    if engine.dialect.name != "sqlite":
        return None
    path = engine.url.database
    return f"{path}-wal" if path and path != ":memory:" else None


@contextmanager
def session_scope(url: str, durable: bool = True, grouped: bool = False) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error.

    ``durable=False`` is for marks a power cut may take back (who is connected, last seen): the commit does not
    wait for its own flush to disk (SQLite: synchronous=NORMAL on this transaction; PostgreSQL: synchronous_commit
    off), stays atomic and in order, and is on disk with the next durable commit.

    ``grouped=True`` is as durable as the default (on disk when the block returns) and cheaper when many commit at
    once: on SQLite the commit joins a shared fsync of the log (see :class:`_WalSync`); PostgreSQL groups its own
    WAL flushes already."""
    session = session_factory(url)()
    wal = _wal_of(session.get_bind()) if grouped and durable else None  # type: ignore[arg-type]
    try:
        if not durable or wal:
            _relaxed(session)
        yield session
        session.commit()
        if wal:
            _walsync.wait(wal)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _relaxed(session: Session) -> None:
    """This transaction's commit does not wait for the disk (see :func:`session_scope`)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
        conn.info["relaxed"] = True  # back to FULL when the connection returns to the pool (see get_engine)


def _checkin(dbapi_conn, record) -> None:  # type: ignore[no-untyped-def]
    if record is not None and record.info.pop("relaxed", None):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()


def dispose_all() -> None:
    """Close every pooled connection (tests, and forked workers)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _factories.clear()


def alembic_config(url: str) -> AlembicConfig:
    """Alembic's settings for the database at ``url``, on this process's engine (upgrades, and tests that step down)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["engine"] = get_engine(url)
    return cfg


def upgrade(url: str) -> None:
    """Apply every Alembic migration (all branches) to the database at ``url``."""
    from alembic import command

    cfg = alembic_config(url)
    with _migration_lock(cfg.attributes["engine"]):
        command.upgrade(cfg, "heads")


MIGRATION_LOCK_ID = 0x6578616D  # "exam": the PostgreSQL advisory lock held while migrating


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """One migrator at a time: processes started together on a fresh database must not create tables twice."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_ID})")
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})")
                conn.commit()
        return
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:":
        yield
        return
    import fcntl

    lock_path = f"{path}.migrate.lock"
    with os.fdopen(os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600), "a+b") as fh:  # a file lock serialises
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
