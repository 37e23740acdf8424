"""The question bank: items, their immutable versions, and options carrying points."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ground.db import Base, UTCDateTime


class Item(Base):
    """A question as the committee knows it; its text lives in versions so papers stay auditable."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(128), unique=True)
    subtest: Mapped[str] = mapped_column(String(32), index=True)
    category: Mapped[str | None] = mapped_column(String(128), nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    difficulty: Mapped[str | None] = mapped_column(String(32), nullable=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # drawn no more since then

    versions: Mapped[list[ItemVersion]] = relationship(back_populates="item", order_by="ItemVersion.version")


class ItemVersion(Base):
    """One immutable wording of an item; papers and scoring refer to versions, never to items."""

    __tablename__ = "item_versions"
    __table_args__ = (UniqueConstraint("item_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default="single")  # single | multiple | truefalse
    text: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str | None] = mapped_column(Text, nullable=True)
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    text_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)  # normalised text only
    # the item's score is clamped to these (QTI mapping lowerBound/upperBound); None: no bound
    score_lower: Mapped[float | None] = mapped_column(Float, nullable=True)
    score_upper: Mapped[float | None] = mapped_column(Float, nullable=True)
    # sanitized HTML of the stem when plain text would lose its structure (tables, MathML); None: plain text only
    text_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    # AES-GCM of {text, explanation, html, media} under the bank key (ground.bank_seal); then the plain columns
    # above are empty. None: a row written before encryption at rest (``exam-engine bank encrypt`` seals it)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    item: Mapped[Item] = relationship(back_populates="versions")
    options: Mapped[list[Option]] = relationship(
        back_populates="item_version", order_by="Option.position", cascade="all, delete-orphan"
    )


class Option(Base):
    """An answer option; ``points`` is the key (5/0 for TWK/TIU, 1-5 for TKP) and never leaves the server."""

    __tablename__ = "options"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    points: Mapped[float | None] = mapped_column(Float, nullable=True)  # None once sealed (in ``sealed``)
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # AES-GCM of {text, points, media}

    item_version: Mapped[ItemVersion] = relationship(back_populates="options")


class BankKey(Base):
    """The bank's data key, wrapped by the master key (envelope): it seals question texts, options and their points."""

    __tablename__ = "bank_keys"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1: one bank per installation
    key_wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
