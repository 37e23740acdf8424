"""The exam card (*kartu ujian*) an exported applicant downloads from the portal: photo, participant number, PIN, exam,
room and session start in the room's zone, and a QR carrying a claim signed by the installation's key."""

from __future__ import annotations

import io
from pathlib import Path

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import audit, zones
from ground.documents import pdf_plain
from ground.errors import AppError
from ground.i18n import _
from ground.models import Candidate, Room
from ground.models.registration import ApplicationDocument, Requirement, StoredFile
from ground.people_seal import card_aad, file_aad, people_cipher
from registration import applications, people, recruitments
from registration.people import Applicant
from registration.summary import claim


def for_applicant(session: Session, who: Applicant, code: str, data_dir: Path) -> bytes:
    """The card of the applicant's exported application to recruitment ``code``; 409 before the export."""
    rec = recruitments.by_code(session, code)
    app = applications.application_for(session, who, rec, create=False)
    if app is None or app.card_sealed is None or app.candidate_id is None:
        raise AppError("no_card", _("The exam card is ready once you are scheduled for the exam."), 409)
    cipher = people_cipher(session)
    card = cipher.open(card_aad(app.id), app.card_sealed)
    candidate = session.get(Candidate, app.candidate_id)
    assert candidate is not None
    room = session.get(Room, candidate.room_id)
    assert room is not None
    photo = session.execute(
        select(StoredFile).join(ApplicationDocument, ApplicationDocument.sha256 == StoredFile.sha256)
        .join(Requirement, Requirement.id == ApplicationDocument.requirement_id)
        .where(ApplicationDocument.application_id == app.id, StoredFile.mime == "image/jpeg")
        .order_by(Requirement.id).limit(1)
    ).scalar_one_or_none()
    image = cipher.open_bytes(file_aad(photo.sha256, photo.mime), photo.sealed) if photo is not None else None
    person = people.person_fields(session, who.person_id)
    start = zones.local(room.scheduled_start, room.zone) if room.scheduled_start else "-"
    lines = [
        (_("Participant number"), card["participant_no"]), (_("Name"), person["name"]),
        (_("Birth date"), person["birth_date"]), (_("Formation"), candidate.formation),
        (_("Room"), f"{room.name} ({room.code})"), (_("Start"), start),
    ]
    audit.record(session, "application.card_downloaded", actor=who.actor, application_id=app.id)
    qr = claim(card["participant_no"], person["nik"], room.code, start, data_dir)
    return _pdf(room.exam.title, lines, card["pin"], image, qr)


def _pdf(title: str, lines: list[tuple[str, str]], pin: str, photo: bytes | None, qr_text: str) -> bytes:
    """One card at the top of an A4 page, to cut out."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=A4, pageCompression=0)
    pdf.setTitle(_("Exam card"))
    width, height = A4
    x, top, card_h = 15 * mm, height - 15 * mm, 95 * mm
    pdf.setDash(3, 3)
    pdf.rect(x, top - card_h, width - 2 * x, card_h)
    pdf.setDash()
    pdf.setFont("Helvetica-Bold", 13)
    pdf.drawString(x + 6 * mm, top - 10 * mm, _("EXAM CARD — COMPUTER ASSISTED TEST"))
    pdf.setFont("Helvetica", 9)
    pdf.drawString(x + 6 * mm, top - 16 * mm, pdf_plain(title)[:80])
    if photo is not None:
        pdf.drawImage(ImageReader(io.BytesIO(photo)), x + 6 * mm, top - 62 * mm, 30 * mm, 40 * mm,
                      preserveAspectRatio=True)
    tx = x + 42 * mm
    for i, (label, value) in enumerate(lines):
        y = top - (26 + 6.5 * i) * mm
        pdf.setFont("Helvetica", 9)
        pdf.drawString(tx, y, pdf_plain(label))
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(tx + 32 * mm, y, ": " + pdf_plain(value)[:28])  # clear of the QR
    pdf.setFont("Helvetica", 9)
    pdf.drawString(tx, top - 70 * mm, "PIN")
    pdf.setFont("Courier-Bold", 18)
    pdf.drawString(tx + 32 * mm, top - 71 * mm, pdf_plain(pin))
    qr = segno.make(qr_text, error="m")
    module = 0.75 * mm
    size = len(qr.matrix) * module
    qx, qy = width - x - 6 * mm - size, top - card_h + 8 * mm
    for r, row in enumerate(qr.matrix):
        for c, dark in enumerate(row):
            if dark:
                pdf.rect(qx + c * module, qy + size - (r + 1) * module, module, module, stroke=0, fill=1)
    pdf.setFont("Helvetica-Oblique", 7.5)
    pdf.drawString(x + 6 * mm, top - card_h + 4 * mm,
                   _("Keep your PIN secret. Bring this card and your KTP; the room token is announced by the proctor."))
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
