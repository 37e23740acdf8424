"""The registration summary (*resume pendaftaran*) PDF: what was submitted, and a QR carrying a signed claim that a
committee desk checks with the installation's public key (GET /api/v1/public-key)."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import clock, zones
from ground.crypto import load_signing_key
from ground.documents import pdf_plain
from ground.errors import AppError
from ground.i18n import _
from ground.models.registration import ApplicationDocument, Formation, Requirement
from registration import applications, people, recruitments
from registration.people import Applicant


def claim(number: str, nik: str, formation: str, submitted_at: str, data_dir: Path) -> str:
    """``<claims>.<Ed25519 signature>``, both base64url: the QR's text (the NIK only as its last four digits)."""
    body = json.dumps({"t": "cat-reg", "no": number, "nik4": nik[-4:], "f": formation, "at": submitted_at},
                      separators=(",", ":")).encode()
    sig = load_signing_key(data_dir).sign(body)
    enc = base64.urlsafe_b64encode
    return enc(body).decode().rstrip("=") + "." + enc(sig).decode().rstrip("=")


def for_applicant(session: Session, who: Applicant, code: str, data_dir: Path, zone: str) -> bytes:
    """The summary of the applicant's submitted application to recruitment ``code``."""
    rec = recruitments.by_code(session, code)
    app = applications.application_for(session, who, rec, create=False)
    if app is None or app.state != "submitted" or app.submitted_at is None:
        raise AppError("not_submitted", _("The summary is ready once the application is submitted."), 409)
    person = people.person_fields(session, who.person_id)
    formation = session.get(Formation, app.formation_id)
    assert formation is not None
    docs = session.execute(select(Requirement.name, ApplicationDocument.sha256)
                           .join(ApplicationDocument, ApplicationDocument.requirement_id == Requirement.id)
                           .where(ApplicationDocument.application_id == app.id).order_by(Requirement.id)).all()
    at = clock.isoformat(app.submitted_at)
    lines = [
        (_("Registration number"), app.number), (_("Name"), person["name"]), (_("NIK"), person["nik"]),
        (_("Birth date"), person["birth_date"]), (_("Formation"), f"{formation.name} ({formation.code})"),
        (_("Entry path"), app.entry_path), (_("Submitted at"), zones.local(app.submitted_at, zone)),
    ]
    return _pdf(rec.name, lines, [(name, sha[:16]) for name, sha in docs],
                claim(app.number, person["nik"], formation.code, at, data_dir))


def _pdf(title: str, lines: list[tuple[str, str]], docs: list[tuple[str, str]], qr_text: str) -> bytes:
    """One A4 page: title, the fields, the documents with their hashes, the QR."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=A4, pageCompression=1)
    pdf.setTitle(_("Registration summary"))
    width, height = A4
    x, y = 20 * mm, height - 25 * mm
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(x, y, _("REGISTRATION SUMMARY"))
    pdf.setFont("Helvetica", 10)
    pdf.drawString(x, y - 7 * mm, pdf_plain(title)[:90])
    y -= 20 * mm
    for label, value in lines:
        pdf.setFont("Helvetica", 9)
        pdf.drawString(x, y, pdf_plain(label))
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(x + 45 * mm, y, ": " + pdf_plain(value)[:70])
        y -= 7 * mm
    y -= 5 * mm
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(x, y, _("Documents"))
    pdf.setFont("Helvetica", 9)
    for name, sha in docs:
        y -= 6 * mm
        pdf.drawString(x, y, f"• {pdf_plain(name)[:60]}  (SHA-256 {sha}…)")
    qr = segno.make(qr_text, error="m")
    module = 1.1 * mm
    size = len(qr.matrix) * module
    qx, qy = width - 20 * mm - size, 25 * mm
    for r, row in enumerate(qr.matrix):
        for c, dark in enumerate(row):
            if dark:
                pdf.rect(qx + c * module, qy + size - (r + 1) * module, module, module, stroke=0, fill=1)
    pdf.setFont("Helvetica-Oblique", 7.5)
    pdf.drawString(x, 20 * mm, _("Bring this summary. The QR code is signed by the committee's server."))
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
