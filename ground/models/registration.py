"""Online registration (issue 17): people, applicant accounts, recruitments, formations, applications, documents.

Personal fields live only in ``sealed`` columns (AES-GCM under the people data key, see registration/seal.py);
lookups go by keyed fingerprints (``nik_fp``, ``login_fp``), so a stolen database names nobody.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ground.db import Base, UTCDateTime


class PeopleKey(Base):
    """The people data key (one row), wrapped by the master key: seals every personal field and uploaded file."""

    __tablename__ = "reg_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Person(Base):
    """One person across recruitments and exams, found by the keyed fingerprint of their NIK."""

    __tablename__ = "reg_people"

    id: Mapped[int] = mapped_column(primary_key=True)
    nik_fp: Mapped[str] = mapped_column(String(64), unique=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)  # {nik, name, birth_date, sex, phone, email, education, ...}
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the person's erasure request (UU PDP: right to erasure) and when the committee carried it out
    erasure_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ApplicantAccount(Base):
    """The applicant's sign-in (an email address or phone number, sealed; argon2 password) owning one person."""

    __tablename__ = "reg_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("reg_people.id", ondelete="CASCADE"), unique=True)
    login_fp: Mapped[str] = mapped_column(String(64), unique=True)
    login_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    password_hash: Mapped[str] = mapped_column(Text)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    code_fp: Mapped[str | None] = mapped_column(String(64), nullable=True)  # keyed hash of the pending code
    code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Recruitment(Base):
    """A recruitment (*seleksi*): the registration period and what it asks for."""

    __tablename__ = "reg_recruitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retain_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # applicants' data kept until


class Formation(Base):
    """A position offered (*formasi*) with its quota, education requirement and entry paths."""

    __tablename__ = "reg_formations"
    __table_args__ = (UniqueConstraint("recruitment_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recruitment_id: Mapped[int] = mapped_column(ForeignKey("reg_recruitments.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    quota: Mapped[int] = mapped_column(Integer)
    education: Mapped[str] = mapped_column(String(255), default="")
    entry_paths: Mapped[list[str]] = mapped_column(JSON, default=list)


class Requirement(Base):
    """A document every applicant of a recruitment uploads, with the file types and size allowed."""

    __tablename__ = "reg_requirements"
    __table_args__ = (UniqueConstraint("recruitment_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recruitment_id: Mapped[int] = mapped_column(ForeignKey("reg_recruitments.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # "pdf", "jpeg"
    max_bytes: Mapped[int] = mapped_column(Integer)


class Application(Base):
    """One person's application to one recruitment: draft, then submitted (frozen), then MS/TMS."""

    __tablename__ = "reg_applications"
    __table_args__ = (UniqueConstraint("recruitment_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recruitment_id: Mapped[int] = mapped_column(ForeignKey("reg_recruitments.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("reg_people.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    formation_id: Mapped[int | None] = mapped_column(ForeignKey("reg_formations.id"), nullable=True)
    entry_path: Mapped[str] = mapped_column(String(32), default="")
    site: Mapped[str] = mapped_column(String(255), default="", server_default="")  # preferred test site, or ""
    state: Mapped[str] = mapped_column(String(16), default="draft")  # draft | submitted
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    result: Mapped[str | None] = mapped_column(String(8), nullable=True)  # MS | TMS once every requirement is marked
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id"), nullable=True)
    card_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # {participant_no, pin}: the card
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StoredFile(Base):
    """An uploaded file's bytes, sealed, stored once by their SHA-256 (bound into the seal with the type)."""

    __tablename__ = "reg_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class ApplicationDocument(Base):
    """The file an application gives for one requirement (replaced while a draft)."""

    __tablename__ = "reg_documents"
    __table_args__ = (UniqueConstraint("application_id", "requirement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("reg_applications.id", ondelete="CASCADE"), index=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("reg_requirements.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(ForeignKey("reg_files.sha256"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RequirementCheck(Base):
    """A verifier's mark on one requirement of one application: met or not, with the reason."""

    __tablename__ = "reg_checks"
    __table_args__ = (UniqueConstraint("application_id", "requirement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("reg_applications.id", ondelete="CASCADE"), index=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("reg_requirements.id", ondelete="CASCADE"))
    met: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
    checked_by: Mapped[str] = mapped_column(String(128))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)  # a second verifier's check
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SelectionAnnouncement(Base):
    """A signed list the committee published: the MS/TMS result (with the objection window) or the final list."""

    __tablename__ = "reg_announcements"
    __table_args__ = (UniqueConstraint("recruitment_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recruitment_id: Mapped[int] = mapped_column(ForeignKey("reg_recruitments.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(16))  # result | final
    sha256: Mapped[str] = mapped_column(String(64))  # of the signed file
    objections_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    announced_by: Mapped[str] = mapped_column(String(128))
    announced_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Objection(Base):
    """An applicant's objection (*sanggah*) to a TMS result, and the committee's answer; both texts sealed."""

    __tablename__ = "reg_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("reg_applications.id", ondelete="CASCADE"), unique=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)  # {"text": ..., "answer": ...}
    attachment_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a StoredFile, verifiers only
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # None until answered
    answered_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
