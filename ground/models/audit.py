"""The audit log: every state change and staff action, chained by hash so edits show."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ground.db import Base, UTCDateTime


class AuditEvent(Base):
    """One recorded event; ``hash`` covers the row and the previous row's hash."""

    __tablename__ = "audit_events"
    # the sealer asks every second for the unsealed rows: a partial index keeps that off a full scan
    __table_args__ = (Index("ix_audit_events_pending", "id", sqlite_where=text("hash = ''"),
                            postgresql_where=text("hash = ''")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(128))  # "system", "candidate:<no>", "staff:<username>"
    action: Mapped[str] = mapped_column(String(64), index=True)
    exam_id: Mapped[int | None] = mapped_column(ForeignKey("exams.id", ondelete="SET NULL"), nullable=True)
    room_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    candidate_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")


class AuditChain(Base):
    """The end of the sealed chain (one row): sealers lock it, so processes sealing at once extend one chain."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    hash: Mapped[str] = mapped_column(String(64), default="")  # the last sealed row's hash ("" before any)
    last_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the last sealed row's id
    sealed: Mapped[int] = mapped_column(Integer, default=0)  # how many rows the chain holds
