"""Exams, their sessions (*sesi*: a start at a site), rooms and the candidates assigned to them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ground.db import Base, UTCDateTime


class Exam(Base):
    """One exam: its blueprint, grading rules and the wrapped data key that protects its papers."""

    __tablename__ = "exams"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    duration_s: Mapped[int] = mapped_column(Integer)
    blueprint: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    grading: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"preset": "skd-2024", ...}
    state: Mapped[str] = mapped_column(String(16), default="draft")  # draft | open | closed
    data_key_wrapped: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    key_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # a practice (tryout) exam, e.g. an assessment programme's: after finishing, the candidate may see a review with
    # the best answers and explanations; a selection exam never (issue 18)
    practice: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    rooms: Mapped[list[Room]] = relationship(back_populates="exam")


class ExamSession(Base):
    """One session (*sesi*) of an exam: a start at a site in its time zone; its rooms' candidates may log in only while
    it is open (scheduled → open → closed). Rooms made before sessions existed have none and keep their own gate."""

    __tablename__ = "exam_sessions"
    __table_args__ = (UniqueConstraint("exam_id", "code", name="uq_exam_session_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(255), default="")
    site: Mapped[str] = mapped_column(String(255))
    zone: Mapped[str] = mapped_column(String(4), default="WIB")  # the site's: WIB, WITA, WIT
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled | open | closed
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    opened_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)


class Room(Base):
    """A room: where a group of candidates sits the exam; in a session (its start and zone copied from it), or, made
    before sessions, carrying its own start and zone."""

    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    token: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    is_open: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scheduled_start: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    zone: Mapped[str] = mapped_column(String(4), default="WIB", server_default="WIB")  # the site's: WIB, WITA, WIT
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("exam_sessions.id", ondelete="SET NULL"), nullable=True,
                                                   index=True)

    exam: Mapped[Exam] = relationship(back_populates="rooms")


class Candidate(Base):
    """A candidate (*peserta*) registered for an exam, with a hashed PIN and where they compete."""

    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("exam_id", "participant_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"), nullable=True)
    participant_no: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    formation: Mapped[str] = mapped_column(String(255), default="")
    formation_quota: Mapped[int | None] = mapped_column(Integer, nullable=True)
    entry_path: Mapped[str] = mapped_column(String(64), default="general")
    gpa: Mapped[float | None] = mapped_column(Float, nullable=True)
    pin_hash: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # accommodations set in advance (the candidate import), never improvised on the day: added to the deadline at
    # the start, and the page's larger text / high contrast
    extra_time_s: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    large_text: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    high_contrast: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    photo_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a sealed reg_files row (JPEG/PNG)
