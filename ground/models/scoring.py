"""Scoring after the exam: annulled items, the rescoring log, SKB scores, final results and onboarding."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ground.db import Base, UTCDateTime


class Annulment(Base):
    """An item version annulled (*soal dianulir*) in one exam: everyone gets its points, or it is dropped."""

    __tablename__ = "annulments"
    __table_args__ = (UniqueConstraint("exam_id", "item_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id", ondelete="CASCADE"))
    mode: Mapped[str] = mapped_column(String(8))  # award | drop
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(128), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RescoreLog(Base):
    """One result changed by a rescoring: before, after, and why — the trail behind every changed score."""

    __tablename__ = "rescore_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(128), default="system")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class SkbScore(Base):
    """A candidate's SKB (field competence) score, imported or taken from an SKB exam run here."""

    __tablename__ = "skb_scores"
    __table_args__ = (UniqueConstraint("exam_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), index=True)  # the SKD exam
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_score: Mapped[float] = mapped_column(Float, default=100.0)
    passed: Mapped[bool | None] = mapped_column(nullable=True)  # None = no SKB threshold applies
    status: Mapped[str] = mapped_column(String(16), default="present")  # present | absent | withdrawn
    source: Mapped[str] = mapped_column(String(255))  # "import:<file>" or "exam:<code>"
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FinalResult(Base):
    """The integrated SKD + SKB outcome of one candidate, with rank and final code per formation."""

    __tablename__ = "final_results"
    __table_args__ = (UniqueConstraint("exam_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    result_id: Mapped[int | None] = mapped_column(ForeignKey("results.id", ondelete="SET NULL"), nullable=True)
    formation: Mapped[str] = mapped_column(String(255))
    entry_path: Mapped[str] = mapped_column(String(64))
    skd_scaled: Mapped[float | None] = mapped_column(Float, nullable=True)
    skb_scaled: Mapped[float | None] = mapped_column(Float, nullable=True)
    final_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    code: Mapped[str] = mapped_column(String(16))
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the integration rules used
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OrientationCohort(Base):
    """An orientation / basic training cohort (*orientasi, latsar*) with its schedule."""

    __tablename__ = "orientation_cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    starts_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"date", "activity"}]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OnboardingRecord(Base):
    """A selected candidate on their way in: formation and unit, cohort, mentor, status and milestones."""

    __tablename__ = "onboarding_records"
    __table_args__ = (UniqueConstraint("exam_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    result_id: Mapped[int | None] = mapped_column(ForeignKey("results.id", ondelete="SET NULL"), nullable=True)
    final_result_id: Mapped[int | None] = mapped_column(
        ForeignKey("final_results.id", ondelete="SET NULL"), nullable=True
    )
    formation: Mapped[str] = mapped_column(String(255))
    unit: Mapped[str] = mapped_column(String(255), default="")
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("orientation_cohorts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    mentor: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status: Mapped[str] = mapped_column(String(32), default="awaiting_documents")
    milestones: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"name", "due", "done_on"}]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
