"""Fixtures for the committee's pages and commands: English messages where asserted, the item-analysis exam."""

from __future__ import annotations

import pytest

from tests.scoring.analysis.analysis_data import db_exam  # noqa: F401 - the fixture, shared with item analysis


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Assertions read the English source strings."""
    monkeypatch.setenv("EXAM_LOCALE", "en")
