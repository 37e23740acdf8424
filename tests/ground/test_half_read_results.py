"""A half-read ORM result must not break the next write on SQLite (ground/db.py reads ORM results whole there).

The pattern CI met (registration's data export): a lazy result left open, another writer commits, then this
session flushes a write. SQLite refuses a write transaction begun on a read snapshot older than another writer's
commit, at once ("database is locked", no busy wait). With every ORM result read whole at execute time, the read
is over before the write begins."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Integer, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ground import db


class _Base(DeclarativeBase):
    pass


class Row(_Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


@pytest.fixture()
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'half.sqlite3'}"
    _Base.metadata.create_all(db.get_engine(url))
    with db.session_scope(url) as s:
        s.add_all([Row(name=f"r{i}") for i in range(5)])
    return url


def test_a_write_after_a_half_read_result_and_another_writers_commit_succeeds(url: str) -> None:
    with db.session_scope(url) as mine:
        rows = mine.scalars(select(Row).order_by(Row.id))  # not consumed yet
        with db.session_scope(url) as other:  # another writer commits meanwhile
            other.add(Row(name="other"))
        mine.add(Row(name="mine"))
        mine.flush()  # the write begins while `rows` is still unread
        names = [r.name for r in rows]
    assert names == [f"r{i}" for i in range(5)]
    with db.session_scope(url) as s:
        assert sorted(s.scalars(select(Row.name))) == sorted([f"r{i}" for i in range(5)] + ["other", "mine"])


def test_a_streamed_result_stays_streamed(url: str) -> None:
    """``yield_per`` asks for rows in batches on purpose (big reads): it is left alone."""
    with db.session_scope(url) as s:
        result = s.execute(select(Row.id).order_by(Row.id), execution_options={"yield_per": 2})
        assert [r.id for r in result] == [1, 2, 3, 4, 5]
