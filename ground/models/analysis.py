"""Item statistics per exam, written back to the bank: each item's history, so blueprints can draw by difficulty."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ground.db import Base, UTCDateTime


class ItemStatistic(Base):
    """One item version's classical and 2PL statistics in one exam; re-running the analysis replaces the row."""

    __tablename__ = "item_statistics"
    __table_args__ = (UniqueConstraint("exam_id", "item_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id", ondelete="CASCADE"))
    subtest: Mapped[str] = mapped_column(String(32))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    n: Mapped[int] = mapped_column(Integer)  # candidates who were presented the item
    p: Mapped[float | None] = mapped_column(Float, nullable=True)  # difficulty: mean points / max points
    point_biserial: Mapped[float | None] = mapped_column(Float, nullable=True)
    corrected_r: Mapped[float | None] = mapped_column(Float, nullable=True)
    alpha_if_deleted: Mapped[float | None] = mapped_column(Float, nullable=True)
    upper_lower: Mapped[float | None] = mapped_column(Float, nullable=True)
    omit_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    irt_a: Mapped[float | None] = mapped_column(Float, nullable=True)
    irt_b: Mapped[float | None] = mapped_column(Float, nullable=True)
    irt_se_a: Mapped[float | None] = mapped_column(Float, nullable=True)
    irt_se_b: Mapped[float | None] = mapped_column(Float, nullable=True)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)  # flag codes, e.g. ["too_easy"]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # options by score group, messages


class AnalysisReport(Base):
    """An exam's last item-analysis report in one language, sealed (it holds every option's points): the committee's
    page opens it at once instead of recomputing a whole exam; ``basis`` says which finished papers it was built on."""

    __tablename__ = "analysis_reports"
    __table_args__ = (UniqueConstraint("exam_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(16))
    basis: Mapped[str] = mapped_column(String(64))  # fingerprint of the report's inputs (see scoring.store)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)  # the report's JSON, sealed with the bank key
