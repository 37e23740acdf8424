"""Images, audio and video of the question bank, stored in the database by hash so papers and backups carry them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ground.db import Base, UTCDateTime


class BankImage(Base):
    """An image, recording or video (``bank:<sha256>``): one table, so every medium is sealed and served alike."""

    __tablename__ = "bank_images"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
