"""Printable login cards (*kartu peserta*): eight per A4 page, cut along the lines, one PDF per room."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import zones
from ground.documents import pdf_plain
from ground.errors import AppError
from ground.i18n import _
from ground.models import Candidate, Room
from proctor.people import photo_of
from proctor.roster import Issued

COLS, ROWS = 2, 4


def cards_pdf(exam_title: str, room_code: str, room_name: str, start: str | None, people: Sequence[Issued],
              photos: Mapping[str, bytes] | None = None) -> bytes:
    """A PDF with one card per candidate: name, participant number, birth date, room, start and PIN; the photo
    (by participant number) when the committee has one."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=A4, pageCompression=1)
    pdf.setTitle(_("Login cards") + f" {pdf_plain(room_code)}")
    width, height = A4
    margin = 10 * mm
    cw, ch = (width - 2 * margin) / COLS, (height - 2 * margin) / ROWS
    for n, person in enumerate(people):
        if n and n % (COLS * ROWS) == 0:
            pdf.showPage()
        col, row = n % COLS, (n // COLS) % ROWS
        x, y = margin + col * cw, height - margin - (row + 1) * ch
        pdf.setDash(3, 3)
        pdf.rect(x, y, cw, ch)
        pdf.setDash()
        tx, ty = x + 6 * mm, y + ch - 10 * mm
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(tx, ty, _("LOGIN CARD — COMPUTER ASSISTED TEST"))
        pdf.setFont("Helvetica", 8)
        pdf.drawString(tx, ty - 5 * mm, pdf_plain(exam_title)[:70])
        lines = [
            (_("Name"), pdf_plain(person.name)[:34]),
            (_("Participant number"), person.participant_no),
            (_("Birth date"), person.birth_date),
            (_("Room"), f"{room_name} ({room_code})"[:45]),
            (_("Start"), start or "-"),
        ]
        for i, (label, value) in enumerate(lines):
            pdf.setFont("Helvetica", 8)
            pdf.drawString(tx, ty - (13 + 5.5 * i) * mm, label)
            pdf.setFont("Helvetica-Bold", 9)
            pdf.drawString(tx + 30 * mm, ty - (13 + 5.5 * i) * mm, f": {pdf_plain(value)}")
        pdf.setFont("Helvetica", 8)
        pdf.drawString(tx, y + 12 * mm, "PIN")
        pdf.setFont("Courier-Bold", 18)
        pdf.drawString(tx + 30 * mm, y + 11 * mm, pdf_plain(person.pin))
        photo = (photos or {}).get(person.participant_no)
        if photo is not None:  # lower right, clear of the lines and the PIN
            pdf.drawImage(ImageReader(io.BytesIO(photo)), x + cw - 18 * mm, y + 8 * mm, 15 * mm, 20 * mm,
                          preserveAspectRatio=True)
        pdf.setFont("Helvetica-Oblique", 6.5)
        pdf.drawString(tx, y + 5 * mm, _("Keep this card secret. The room token is announced by the proctor."))
    if not people:
        pdf.drawString(margin, height - margin, _("No candidates."))
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def room_cards(session: Session, room_code: str, people: Sequence[Issued]) -> bytes:
    """The cards of one room's people (from a PIN list), in participant-number order, the start in the room's zone."""
    room = session.scalar(select(Room).where(Room.code == room_code))
    if room is None:
        raise AppError("unknown_room", _("No room with code %(code)s.", code=room_code), 404)
    start = zones.local(room.scheduled_start, room.zone) if room.scheduled_start else None
    members = sorted(people, key=lambda p: p.participant_no)
    photos = {}
    for candidate in session.scalars(select(Candidate).where(Candidate.room_id == room.id,
                                                             Candidate.photo_sha256.is_not(None))):
        found = photo_of(session, candidate)
        if found is not None:
            photos[candidate.participant_no] = found[1]
    return cards_pdf(room.exam.title, room.code, room.name, start, members, photos)
