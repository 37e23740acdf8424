"""Shared fixtures: databases (SQLite always, PostgreSQL when configured) and requirement checks."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ground import clock, db, keyring
from tests.live import SERVER_LOGS, LiveServer

PG_URL = os.environ.get("EXAM_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("EXAM_TEST_REDIS_URL")
REQUIRE_ALL = os.environ.get("EXAM_TEST_REQUIRE_ALL") == "1"
CHROMIUM = "/usr/bin/chromium"
LOG_MARKS = pytest.StashKey[dict[Path, int]]()


def server_tracebacks(marks: dict[Path, int], limit: int = 8000) -> list[tuple[str, str]]:
    """What the live servers logged from the first traceback after ``marks`` (bytes already there) on."""
    out = []
    for log in SERVER_LOGS:
        if not log.exists():
            continue
        with log.open("rb") as fh:
            fh.seek(marks.get(log, 0))
            text = fh.read().decode("utf-8", "replace")
        at = text.find("Traceback")
        if at >= 0:
            out.append((f"server log {log}", text[at:][-limit:]))
    return out


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    item.stash[LOG_MARKS] = {log: log.stat().st_size for log in SERVER_LOGS if log.exists()}
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A test that failed against a live server carries the server's tracebacks (a 500 says only "internal")."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for title, text in server_tracebacks(item.stash.get(LOG_MARKS, {})):
            report.sections.append((title, text))


def need(condition: bool, reason: str) -> None:
    """Skip with ``reason`` when a required service is missing — or fail, in CI where all are mandatory."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required in CI but missing: {reason}")
    pytest.skip(reason)


def need_postgres() -> str:
    need(
        bool(PG_URL),
        "PostgreSQL test not run: set EXAM_TEST_DATABASE_URL "
        "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)",
    )
    return PG_URL  # type: ignore[return-value]


def need_redis() -> str:
    need(bool(REDIS_URL), "Redis test not run: set EXAM_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
    return REDIS_URL  # type: ignore[return-value]


def need_chromium() -> str:
    need(
        shutil.which(CHROMIUM) is not None or Path(CHROMIUM).exists(),
        "browser test not run: Debian's chromium is not at /usr/bin/chromium (apt-get install chromium)",
    )
    return CHROMIUM


def need_nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    need(found is not None, "nginx test not run: Debian's nginx is not installed (apt-get install nginx)")
    return found  # type: ignore[return-value]


def fresh_postgres_database() -> tuple[str, str]:
    """Create a uniquely named PostgreSQL database next to EXAM_TEST_DATABASE_URL; returns (url, name)."""
    base = make_url(need_postgres())
    name = f"exam_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False), name


def drop_postgres_database(name: str) -> None:
    db.dispose_all()
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")  # type: ignore[arg-type]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]  # PostgreSQL when configured


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database: SQLite in tmp_path, and PostgreSQL when configured."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
        db.upgrade(url)
        yield url
        db.dispose_all()
        return
    url, name = fresh_postgres_database()
    keyring.register(url, tmp_path)  # its sealed bank and PINs open with keys made in tmp_path
    try:
        db.upgrade(url)
        yield url
    finally:
        drop_postgres_database(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """A freshly migrated SQLite database only (for tests whose subject is not the backend)."""
    url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    db.upgrade(url)
    yield url
    db.dispose_all()


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    """A session on ``db_url``; the test commits what it wants kept."""
    s = db.session_factory(db_url)()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages in their English source form, for tests that assert on them (Indonesian is the default)."""
    monkeypatch.setenv("EXAM_LOCALE", "en")


@pytest.fixture(autouse=True)
def _real_clock() -> Iterator[None]:
    """Every test starts and ends on the real clock, so a frozen clock never leaks."""
    clock.reset()
    yield
    clock.reset()


@contextmanager
def served(tmp_path: Path, backend: str, candidates: int = 20) -> Iterator[LiveServer]:
    """A seeded demo served on ``backend``: "sqlite", or a fresh "postgresql" database dropped afterwards."""
    url = name = None
    if backend == "postgresql":
        url, name = fresh_postgres_database()
    live = LiveServer(tmp_path / "data", url, candidates=candidates)
    try:
        yield live.start()
    finally:
        live.stop()
        if name:
            drop_postgres_database(name)


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """A seeded demo (candidates, proctor and committee accounts) served by a real ``exam-engine serve`` process."""
    with served(tmp_path, request.param) as live:
        yield live


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The same on SQLite only (browser tests and checks whose subject is not the backend)."""
    with served(tmp_path, "sqlite") as live:
        yield live


CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


@pytest.fixture
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright (skipped without it locally, mandatory in CI).

    Pages run under the app's real Content-Security-Policy (no eval): tests wait with selectors and locators, never
    with ``wait_for_function`` (Playwright evaluates its predicate with eval)."""
    path = need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page_errors() -> Iterator[list[str]]:
    """Collects JavaScript errors (``page.on("pageerror", ...)``); the test fails if any happened."""
    errors: list[str] = []
    yield errors
    assert not errors, f"JavaScript errors on the page: {errors}"
