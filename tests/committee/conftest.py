"""Fixtures for the committee's pages and commands: the item-analysis exam, shared with scoring."""

from __future__ import annotations

from tests.scoring.analysis.analysis_data import db_exam  # noqa: F401 - the fixture, shared with item analysis

