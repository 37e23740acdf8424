"""The ``analysis`` migration branch creates and drops only its own tables, step by step, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from ground import db


def test_branch_down_and_up(db_url: str) -> None:
    engine = db.get_engine(db_url)
    before = set(inspect(engine).get_table_names())
    assert {"item_statistics", "analysis_reports"} <= before
    cols = {c["name"] for c in inspect(engine).get_columns("item_statistics")}
    assert {"exam_id", "item_id", "item_version_id", "p", "corrected_r", "irt_a", "irt_b", "flags"} <= cols
    assert {c["name"] for c in inspect(engine).get_columns("analysis_reports")} == {
        "id", "exam_id", "locale", "basis", "computed_at", "sealed"}
    command.downgrade(db.alembic_config(db_url), "analysis@-1")
    assert set(inspect(db.get_engine(db_url)).get_table_names()) == before - {"analysis_reports"}
    command.downgrade(db.alembic_config(db_url), "analysis@-1")
    assert set(inspect(db.get_engine(db_url)).get_table_names()) == before - {"analysis_reports", "item_statistics"}
    db.upgrade(db_url)
    assert set(inspect(db.get_engine(db_url)).get_table_names()) == before
