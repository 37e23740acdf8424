"""Staff accounts (admin, committee, proctor) and which rooms each proctor may see and act on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ground.db import Base, UTCDateTime

STAFF_ROLES = ("admin", "committee", "proctor", "verifier")  # verifier: administrative selection (registration)


class StaffUser(Base):
    """A signed-in person on the committee side; ``session_epoch`` grows to sign them out everywhere."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str] = mapped_column(String(16))  # admin | committee | proctor
    password_hash: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RoomAssignment(Base):
    """A proctor assigned to a room (*sesi*): the only rooms that proctor sees on the dashboard."""

    __tablename__ = "room_assignments"
    __table_args__ = (UniqueConstraint("staff_id", "room_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)


class StaffSession(Base):
    """One sign-in: the cookie holds a random token whose SHA-256 is kept here; no row, no session."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffResetLink(Base):
    """A one-time password-reset link a committee member hands over: only the SHA-256 of its token is kept; it works
    once, until ``expires_at``, and a newer link for the same account replaces it."""

    __tablename__ = "staff_reset_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(128))
