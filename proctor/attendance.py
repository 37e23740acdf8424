"""The attendance list (*daftar hadir*) of a room: every candidate in number order with a box for the photo check and
a column to sign in, one A4 PDF per room, printed before the session."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import zones
from ground.documents import pdf_plain, pdf_text
from ground.i18n import _
from ground.models import Candidate, Room
from proctor.people import photo_of

ROW_MM = 18  # tall enough for a pasted photo and a signature


def _photo_cell(session: Session, candidate: Candidate) -> Any:
    """The candidate's photo (uploaded in the console) to compare with the face, or an empty box to paste one in."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Image

    photo = photo_of(session, candidate)
    if photo is None:
        return ""
    return Image(io.BytesIO(photo[1]), width=12 * mm, height=16 * mm)


def attendance_pdf(session: Session, room: Room) -> bytes:
    """The room's daftar hadir: exam, room, session start in the room's zone; No, number, name, photo, signature."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    people = session.scalars(select(Candidate).where(Candidate.room_id == room.id)
                             .order_by(Candidate.participant_no)).all()
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=_("Attendance list"))
    start = zones.local(room.scheduled_start, room.zone) if room.scheduled_start else "-"
    story: list[Any] = [
        Paragraph(pdf_text(_("Attendance list (daftar hadir)")), styles["Title"]),
        Paragraph(pdf_text(f"{room.exam.title} — {room.name} ({room.code})"), styles["Heading3"]),
        Paragraph(pdf_text(_("Session start: %(start)s", start=start)), small),
        Spacer(1, 4 * mm),
    ]
    head = ["No", _("Participant number"), _("Name"), _("Photo"), _("Signature")]
    body = [[str(i), pdf_plain(c.participant_no), Paragraph(pdf_text(c.name), small), _photo_cell(session, c), ""]
            for i, c in enumerate(people, 1)]
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("FONTSIZE", (0, 0), (-1, -1), 8),
                       ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f0fe"))])
    widths = [10 * mm, 32 * mm, 68 * mm, 25 * mm, 45 * mm]
    heights = [8 * mm] + [ROW_MM * mm] * len(body)
    story.append(Table([head, *body], repeatRows=1, style=grid, colWidths=widths, rowHeights=heights))
    story += [Spacer(1, 8 * mm), Paragraph(pdf_text(_("Present: ____   Absent: ____   Proctor: ______________")),
                                           styles["BodyText"])]
    if not people:
        story.append(Paragraph(pdf_text(_("No candidates.")), small))
    doc.build(story)
    return buf.getvalue()
