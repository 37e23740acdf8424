"""A candidate's paper (assembled, encrypted, timed), the answers on it and its result."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, event
from sqlalchemy import inspect as inspect_state
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from ground.db import Base, UTCDateTime


class Paper(Base):
    """issued → started ⇄ paused → finished; the deadline lives here, never only in a browser."""

    __tablename__ = "papers"
    __table_args__ = (Index("ix_papers_state_deadline", "state", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), unique=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    layout: Mapped[dict[str, Any]] = mapped_column(JSON)  # subtests → [{"v": version id, "o": [option ids]}]
    # a plain layout's subtest codes and version ids as bytes (ground/layout_index.py) for whole-exam jobs; NULL: none,
    # read the layout. Server side only, like the layout
    layout_index: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    # the sealed paper (~90 KB for SKD) loads only when asked for: grids and tickers read many papers at once
    package_nonce: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    package_ciphertext: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    key_wrapped: Mapped[bytes] = mapped_column(LargeBinary)  # the candidate key, sealed by the exam data key
    state: Mapped[str] = mapped_column(String(16), default="issued")  # issued|started|paused|finished
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    remaining_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # frozen while paused
    extra_ms: Mapped[int] = mapped_column(BigInteger, default=0)  # time granted by proctors, for the record
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finish_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)  # submitted|time_up|proctor
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    session_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the login bound to this paper
    connected_sid: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the live Socket.IO connection
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    receipt: Mapped[str | None] = mapped_column(Text, nullable=True)


@event.listens_for(Paper, "before_update")
def _layout_changed(_mapper: Mapper[Paper], _connection: Connection, paper: Paper) -> None:
    """A layout written again without its index loses the old one: whole-exam jobs would trust it over the layout."""
    attrs = inspect_state(paper).attrs
    if attrs.layout.history.has_changes() and not attrs.layout_index.history.has_changes():
        paper.layout_index = None


class Answer(Base):
    """The latest answer (an option or a set) and flag of one question of a paper; ``seq``/``flag_seq`` order writes."""

    __tablename__ = "answers"

    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), primary_key=True)
    option_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a single-answer question's choice
    # a multiple-response question's chosen option ids, sorted (NULL: nothing chosen); option_id stays NULL there
    option_ids: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)  # of the applied answer (one sequence per paper)
    flag_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")  # of the applied flag change
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Result(Base):
    """A finished paper's score per subtest, total and pass/fail with reasons."""

    __tablename__ = "results"

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), unique=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    total: Mapped[float] = mapped_column(Float)
    subtests: Mapped[dict[str, float]] = mapped_column(JSON)
    passed: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
