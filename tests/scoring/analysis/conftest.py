"""Fixtures for item analysis: a small exam with finished papers, in every configured database."""

from __future__ import annotations

import pytest
from analysis_data import DbExam, build_exam

from ground import db


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Assertions read the English source strings; test_analysis_cli checks the Indonesian default separately."""
    monkeypatch.setenv("EXAM_LOCALE", "en")


@pytest.fixture
def db_exam(db_url: str) -> DbExam:
    """The exam above, committed to a fresh database (SQLite, and PostgreSQL when configured)."""
    with db.session_scope(db_url) as s:
        return build_exam(s)
