"""Fixtures for item analysis: a small exam with finished papers, in every configured database."""

from __future__ import annotations

import pytest
from analysis_data import db_exam  # noqa: F401 - the fixture, shared with tests/committee


@pytest.fixture(autouse=True)
def _english(english: None) -> None:
    """Assertions read the English source strings; test_analysis_cli checks the Indonesian default separately."""
