"""Fixtures for the proctor dashboard: a live demo server per test on each database backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import drop_postgres_database, fresh_postgres_database
from tests.live import LiveServer


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """A seeded demo (with its proctor and committee accounts) served by a real ``exam-engine serve`` process."""
    name = None
    url = None
    if request.param == "postgresql":
        url, name = fresh_postgres_database()
    live = LiveServer(tmp_path / "data", url)
    try:
        yield live.start()
    finally:
        live.stop()
        if name:
            drop_postgres_database(name)


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The same on SQLite only (browser tests and checks whose subject is not the backend)."""
    live = LiveServer(tmp_path / "data", None)
    try:
        yield live.start()
    finally:
        live.stop()
