"""Objections (*sanggah*) to an exam's results: the window the committee sets per exam, and each candidate's
objection with its optional attachment and the committee's answer. The texts are sealed under the people key (the
reason may name health or family matters); the attachment is a sealed ``reg_files`` row, kept by its SHA-256."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ground.db import Base, UTCDateTime


class ObjectionWindow(Base):
    """When the candidates of one exam may object to its results (start inclusive, end exclusive)."""

    __tablename__ = "exam_objection_windows"

    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), primary_key=True)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    set_by: Mapped[str] = mapped_column(String(128))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ExamObjection(Base):
    """One candidate's objection to an exam's results (one per candidate), and the committee's decision."""

    __tablename__ = "exam_objections"
    __table_args__ = (UniqueConstraint("exam_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)  # {"reason": ..., "answer": ...}
    attachment_sha256: Mapped[str | None] = mapped_column(ForeignKey("reg_files.sha256"), nullable=True)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # None until answered
    answered_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
