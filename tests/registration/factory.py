"""A recruitment with two formations and two required documents, files that are (or only pretend to be) PDF/JPEG,
and applicants registered through the service, for the registration tests."""

from __future__ import annotations

import io
import logging
import re
from datetime import date, timedelta

from sqlalchemy.orm import Session

from ground import clock
from registration import people, recruitments
from registration.senders import LogSender

REC = "CPNS-2026"
MAN = ("3201011505900001", "Budi Santoso Wiraatmaja", date(1990, 5, 15))
WOMAN = ("3273055505920007", "Siti Nurhaliza Rahmawati", date(1992, 5, 15))
PASSWORD = "rahasia-pelamar-1"


def make_recruitment(session: Session, code: str = REC) -> None:
    """Open since yesterday for thirty days: an analyst formation (general, cum laude), a diploma (PDF) and a photo."""
    now = clock.now()
    recruitments.create(session, code, "Seleksi CPNS Kementerian Contoh 2026", now - timedelta(days=1),
                        now + timedelta(days=30), actor="test")
    recruitments.add_formation(session, code, "AK-01", "Analis Kebijakan Ahli Pertama", 2, "S1 semua jurusan",
                               ["general", "cum_laude"], actor="test")
    recruitments.add_formation(session, code, "PK-02", "Pranata Komputer Ahli Pertama", 1, "S1 Informatika",
                               ["general"], actor="test")
    recruitments.add_requirement(session, code, "ijazah", "Ijazah", ["pdf"], 200 * 1024, actor="test")
    recruitments.add_requirement(session, code, "foto", "Pas foto", ["jpeg"], 100 * 1024, actor="test")


def pdf(marker: str = "Ijazah Sarjana", pad: int = 0) -> bytes:
    """A small real PDF (reportlab) carrying ``marker`` as plain text (page compression off)."""
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf, pageCompression=0)
    c.drawString(72, 720, marker)
    c.showPage()
    c.save()
    return buf.getvalue() + b"%" + b"0" * pad


def jpeg(size: tuple[int, int] = (120, 160)) -> bytes:
    """A real JPEG photo-sized image."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (40, 90, 160)).save(buf, "JPEG")
    return buf.getvalue()


class Outbox(logging.Handler):
    """The log sender's messages as they are logged (the real LogSender; the test reads the server's log)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(record.getMessage())

    def last_code(self) -> str:
        return re.findall(r"\b(\d{6})\b", self.texts[-1])[-1]


def register(session: Session, who: tuple[str, str, date] = WOMAN, login: str = "siti.rahmawati@contoh.id"
             ) -> people.Applicant:
    """Register and verify through the service with the real log sender."""
    box = Outbox()
    logging.getLogger("exam_engine.registration.codes").addHandler(box)
    try:
        applicant = people.register(session, nik=who[0], name=who[1], birth_date=who[2], login=login,
                                    password=PASSWORD, sender=LogSender())
        return people.verify(session, applicant.account_id, box.last_code())
    finally:
        logging.getLogger("exam_engine.registration.codes").removeHandler(box)
