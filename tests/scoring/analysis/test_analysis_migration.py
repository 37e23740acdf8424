"""The ``analysis`` migration branch creates and drops only its own table, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from ground import db


def test_branch_down_and_up(db_url: str) -> None:
    engine = db.get_engine(db_url)
    before = set(inspect(engine).get_table_names())
    assert "item_statistics" in before
    cols = {c["name"] for c in inspect(engine).get_columns("item_statistics")}
    assert {"exam_id", "item_id", "item_version_id", "p", "corrected_r", "irt_a", "irt_b", "flags"} <= cols
    command.downgrade(db.alembic_config(db_url), "analysis@-1")
    engine = db.get_engine(db_url)
    assert set(inspect(engine).get_table_names()) == before - {"item_statistics"}
    db.upgrade(db_url)
    assert set(inspect(db.get_engine(db_url)).get_table_names()) == before
