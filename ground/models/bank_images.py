"""Images of the question bank, stored in the database by content hash so papers and backups carry them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ground.db import Base, UTCDateTime


class BankImage(Base):
    """One image (PNG/JPEG/GIF/WebP) referenced from item media as ``bank:<sha256>``; the app serves it by hash."""

    __tablename__ = "bank_images"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
