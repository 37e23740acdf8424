"""Serving processes and the candidate connections each holds, so a stopped process's marks can be cleared."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ground.db import Base, UTCDateTime


class ServerProcess(Base):
    """One running ``exam-engine serve``; ``beat`` grows every second while it lives (its heartbeat)."""

    __tablename__ = "server_processes"

    id: Mapped[str] = mapped_column(String(96), primary_key=True)  # host:pid:random, unique per process start
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    beat: Mapped[int] = mapped_column(BigInteger, default=0)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)  # for people reading the table; liveness uses ``beat``


class ConnectionHolder(Base):
    """Which process holds a candidate's live connection (``Paper.connected_sid``)."""

    __tablename__ = "connection_holders"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    paper_id: Mapped[int] = mapped_column(Integer, index=True)
    process_id: Mapped[str] = mapped_column(String(96), index=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime)
