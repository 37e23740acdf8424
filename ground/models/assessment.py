"""Periodic competency assessments of serving staff (issue 18): programmes, staff (NIP and name sealed), invitations,
sittings (each one exam of the engine) and the seats linking a staff member to the candidate they were in a sitting.

Unit and position are the organisation's, not personal data: they stay readable so reports can group by them. The NIP,
name, birth date and sex are sealed under the people data key (ground/people_seal.py); the NIP is found by a keyed
fingerprint.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ground.db import Base, UTCDateTime


class AssessmentProgramme(Base):
    """A periodic assessment: its blueprint, competencies with their standards, target group, windows and period."""

    __tablename__ = "asm_programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    blueprint: Mapped[str] = mapped_column(String(64))  # a shipped blueprint (question_bank/presets)
    # [{"code", "name", "subtest", "standard"}]: a competency is scored by one subtest of the blueprint
    competencies: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    target: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"units": [...], "positions": [...]}
    windows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"opens", "closes"}] (dates)
    period_months: Mapped[int] = mapped_column(Integer, default=12)
    practice: Mapped[bool] = mapped_column(Boolean, default=False)  # tryout: no ranking, review after finishing
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffMember(Base):
    """A serving civil servant, found by the keyed fingerprint of their NIP (or of their person record)."""

    __tablename__ = "asm_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_fp: Mapped[str] = mapped_column(String(64), unique=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)  # {nip, name, birth_date, sex}
    unit: Mapped[str] = mapped_column(String(255), index=True)
    position: Mapped[str] = mapped_column(String(255), default="")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("reg_people.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AssessmentInvitation(Base):
    """A staff member invited to a programme."""

    __tablename__ = "asm_invitations"
    __table_args__ = (UniqueConstraint("programme_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("asm_programmes.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("asm_staff.id", ondelete="CASCADE"), index=True)
    invited_by: Mapped[str] = mapped_column(String(128))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AssessmentSitting(Base):
    """One sitting of a programme: an exam of the engine made from the programme's blueprint."""

    __tablename__ = "asm_sittings"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("asm_programmes.id", ondelete="CASCADE"), index=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), unique=True)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AssessmentSeat(Base):
    """A staff member's place in a sitting: the candidate the roster made for them."""

    __tablename__ = "asm_seats"
    __table_args__ = (UniqueConstraint("sitting_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("asm_sittings.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("asm_staff.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), unique=True)
