"""Migration 0023 adds and drops only ``papers.layout_index``, on SQLite (batch) and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from ground import db


def _columns(url: str) -> dict[str, dict[str, object]]:
    return {c["name"]: c for c in inspect(db.get_engine(url)).get_columns("papers")}


def test_down_and_up(db_url: str) -> None:
    before = _columns(db_url)
    assert before["layout_index"]["nullable"] is True
    tables = set(inspect(db.get_engine(db_url)).get_table_names())
    command.downgrade(db.alembic_config(db_url), "0014_candidate_accommodations")
    db.dispose_all()
    assert set(_columns(db_url)) == set(before) - {"layout_index"}
    assert set(inspect(db.get_engine(db_url)).get_table_names()) == tables  # no other branch touched
    db.upgrade(db_url)
    db.dispose_all()
    assert set(_columns(db_url)) == set(before)
