"""Fixtures for the committee's pages and commands: English messages where asserted, the item-analysis exam."""

from __future__ import annotations

import pytest

from ground import db
from tests.scoring.analysis.analysis_data import DbExam, build_exam


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Assertions read the English source strings."""
    monkeypatch.setenv("EXAM_LOCALE", "en")


@pytest.fixture
def db_exam(db_url: str) -> DbExam:
    """A small exam with finished papers, committed to a fresh database (SQLite, and PostgreSQL when configured)."""
    with db.session_scope(db_url) as s:
        return build_exam(s)
