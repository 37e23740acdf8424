"""Announcing the administrative selection: the signed MS/TMS list opens the objection window (*masa sanggah*);
applicants with TMS object once, the committee answers each (an accepted objection makes the application MS); the
signed final list names the eligible once the window closed and every objection is answered."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import audit, clock, files
from ground.config import private_dir, write_private
from ground.documents import csv_writer, pdf_plain
from ground.errors import AppError
from ground.i18n import _
from ground.models.registration import (
    Application,
    Formation,
    Objection,
    Person,
    Recruitment,
    Requirement,
    RequirementCheck,
    SelectionAnnouncement,
)
from ground.people_seal import objection_aad, people_cipher, person_aad
from registration import recruitments, selection
from registration.applications import Upload
from registration.people import Applicant
from scoring.signing import sign_file

MIN_TEXT, MAX_TEXT = 10, 2000
MAX_ATTACHMENT = 2 * 1024 * 1024  # an objection's attachment: PDF or JPEG up to 2 MB


def announcement(session: Session, recruitment_id: int, stage: str) -> SelectionAnnouncement | None:
    """The recruitment's announcement of ``stage`` ("result" or "final"), if made."""
    return session.scalar(select(SelectionAnnouncement).where(SelectionAnnouncement.recruitment_id == recruitment_id,
                                                              SelectionAnnouncement.stage == stage))


def published(data_dir: Path, code: str, stage: str, ext: str) -> Path:
    """Where a signed list is kept for the public announcement page: ``announcements/seleksi-<code>-<stage>.<ext>``
    in the data folder (``ext``: csv, pdf, or either with ``.sig``)."""
    return data_dir / "announcements" / f"seleksi-{code}-{stage}.{ext}"


def _write_signed(data_dir: Path, rec: Recruitment, stage: str, header: list[str], rows: list[list[Any]],
                  key: Ed25519PrivateKey) -> str:
    """The list as CSV (formula-safe) and as PDF, owner-only, each with its detached signature, published in the
    data folder; the CSV's SHA-256."""
    buf = io.StringIO()
    w = csv_writer(buf)
    w.writerow(header)
    w.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    for ext, body in (("csv", data), ("pdf", _pdf(rec, stage, header, rows))):
        out = published(data_dir, rec.code, stage, ext)
        private_dir(out.parent)
        write_private(out, body)
        sign_file(out, key)
    return hashlib.sha256(data).hexdigest()


def _pdf(rec: Recruitment, stage: str, header: list[str], rows: list[list[Any]]) -> bytes:
    """The list on landscape A4 pages: title, stage, a row per applicant (its last column, the reasons, wraps)."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    title = _("MS/TMS result of the administrative selection") if stage == "result" else _(
        "Final list of the eligible (MS)")
    labels = {"registration_number": _("Registration number"), "name": _("Name"), "formation": _("Formation"),
              "result": _("Result"), "reasons": _("Reasons"), "entry_path": _("Entry path")}
    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=landscape(A4), pageCompression=1)
    pdf.setTitle(f"{title} · {rec.code}")
    width, height = landscape(A4)
    left, usable, line = 15 * mm, width - 30 * mm, 4.2 * mm
    shares = [0.15, 0.22, 0.22, 0.05, 0.36] if len(header) == 5 else [0.2, 0.35, 0.3, 0.15]
    xs = [left + usable * sum(shares[:i]) for i in range(len(shares))]

    def fit(text: Any, w: float, font: str) -> str:
        text = pdf_plain(text)
        while text and stringWidth(text, font, 8.5) > w - 2 * mm:
            text = text[:-2] + "…"
        return text

    def head() -> float:
        pdf.setFont("Helvetica-Bold", 13)
        pdf.drawString(left, height - 18 * mm, pdf_plain(title))
        pdf.setFont("Helvetica", 10)
        pdf.drawString(left, height - 25 * mm, pdf_plain(f"{rec.name} ({rec.code})"))
        y = height - 35 * mm
        pdf.setFont("Helvetica-Bold", 8.5)
        for x, key, share in zip(xs, header, shares, strict=True):
            pdf.drawString(x, y, fit(labels.get(key, key), usable * share, "Helvetica-Bold"))
        return y - 6 * mm

    y = head()
    for row in rows:
        # the last column (the reasons of a TMS) wraps; the others are cut to their width
        last = simpleSplit(pdf_plain(row[-1]), "Helvetica", 8.5, usable * shares[-1] - 2 * mm) or [""]
        if y - line * (len(last) - 1) < 15 * mm:
            pdf.showPage()
            y = head()
        pdf.setFont("Helvetica", 8.5)
        for x, cell, share in zip(xs[:-1], row[:-1], shares[:-1], strict=True):
            pdf.drawString(x, y, fit(cell, usable * share, "Helvetica"))
        for i, text in enumerate(last):
            pdf.drawString(xs[-1], y - i * line, text)
        y -= line * len(last) + 1 * mm
    pdf.setFont("Helvetica-Oblique", 7.5)
    pdf.drawString(left, 8 * mm, _("Signed by the committee's server: check it with its .sig on the verify page."))
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def published_lists(session: Session) -> list[dict[str, Any]]:
    """Every announced list, newest first, for the public page: recruitment, stage, when, SHA-256 of the CSV."""
    rows = session.execute(select(SelectionAnnouncement, Recruitment)
                           .join(Recruitment, Recruitment.id == SelectionAnnouncement.recruitment_id)
                           .order_by(SelectionAnnouncement.announced_at.desc(), SelectionAnnouncement.id.desc()))
    return [{"code": r.code, "name": r.name, "stage": a.stage, "announced_at": a.announced_at, "sha256": a.sha256,
             "objections_until": a.objections_until} for a, r in rows]


def _people(session: Session, rec: Recruitment) -> list[tuple[Application, dict[str, Any], str]]:
    """Submitted applications in number order, with the person's opened fields and the formation's name."""
    cipher = people_cipher(session)
    rows = session.execute(select(Application, Person, Formation.name)
                           .join(Person, Person.id == Application.person_id)
                           .outerjoin(Formation, Formation.id == Application.formation_id)
                           .where(Application.recruitment_id == rec.id, Application.state == "submitted")
                           .order_by(Application.number)).all()
    return [(a, cipher.open(person_aad(p.nik_fp), p.sealed), f or "") for a, p, f in rows]


def announce_result(session: Session, code: str, data_dir: Path, objections_until: datetime, key: Ed25519PrivateKey, *,
                    actor: str) -> int:
    """The signed MS/TMS list (TMS with the reasons); refused while an application is undecided. How many listed."""
    rec = recruitments.by_code(session, code)
    if announcement(session, rec.id, "result") is not None:
        raise AppError("already_announced", _("The result of %(code)s was announced already.", code=rec.code), 409)
    if objections_until <= clock.now():
        raise AppError("bad_window", _("The objection window must end in the future."))
    people = _people(session, rec)
    undecided = [a.number for a, _p, _f in people if a.result is None]
    if undecided:
        raise AppError("undecided", _("Not every application is decided yet: %(n)s left.", n=len(undecided)), 409,
                       problems=undecided)
    unmet = session.execute(select(RequirementCheck.application_id, Requirement.name, RequirementCheck.reason)
                            .join(Requirement, Requirement.id == RequirementCheck.requirement_id)
                            .where(Requirement.recruitment_id == rec.id, RequirementCheck.met.is_(False))
                            .order_by(Requirement.id)).all()
    reasons: dict[int, list[str]] = {}
    for app_id, name, reason in unmet:
        reasons.setdefault(app_id, []).append(f"{name}: {reason}")
    rows = [[a.number, p["name"], f, a.result, "; ".join(reasons.get(a.id, []))] for a, p, f in people]
    sha = _write_signed(data_dir, rec, "result", ["registration_number", "name", "formation", "result", "reasons"],
                        rows, key)
    session.add(SelectionAnnouncement(recruitment_id=rec.id, stage="result", sha256=sha,
                                      objections_until=objections_until, announced_by=actor,
                                      announced_at=clock.now()))
    audit.record(session, "selection.announced", actor=actor, recruitment=rec.code, stage="result", sha256=sha,
                 ms=sum(r[3] == "MS" for r in rows), tms=sum(r[3] == "TMS" for r in rows),
                 objections_until=clock.isoformat(objections_until))
    return len(rows)


def object_to(session: Session, who: Applicant, code: str, text: str, attachment: Upload | None = None) -> None:
    """The applicant's one objection to their TMS result, within the window; with an optional attachment (PDF or
    JPEG up to ``MAX_ATTACHMENT`` bytes, checked by its content, sealed and stored by hash like the uploads)."""
    rec = recruitments.by_code(session, code)
    app = session.scalar(select(Application).where(Application.recruitment_id == rec.id,
                                                   Application.person_id == who.person_id))
    shown = announcement(session, rec.id, "result")
    if app is None or app.result != "TMS" or shown is None:
        raise AppError("no_objection", _("Only a TMS result that was announced can be objected to."), 409)
    if shown.objections_until is None or clock.now() >= shown.objections_until:
        raise AppError("objections_closed", _("The objection window is closed."), 409)
    if session.scalar(select(Objection.id).where(Objection.application_id == app.id)) is not None:
        raise AppError("already_objected", _("You objected already; the committee will answer."), 409)
    text = " ".join((text or "").split())
    if not MIN_TEXT <= len(text) <= MAX_TEXT:
        raise AppError("bad_text", _("Write your objection in %(a)s to %(b)s characters.", a=MIN_TEXT, b=MAX_TEXT))
    sha = None
    if attachment is not None and attachment.data:
        mime = files.checked(attachment.data, _("The attachment"), recruitments.KINDS, MAX_ATTACHMENT)
        sha = files.store(session, attachment.data, mime)
    session.add(Objection(application_id=app.id, filed_at=clock.now(), attachment_sha256=sha,
                          sealed=people_cipher(session).seal(objection_aad(app.id), {"text": text, "answer": ""})))
    audit.record(session, "application.objected", actor=who.actor, application_id=app.id, attachment=sha)


def answer(session: Session, application_id: int, accepted: bool, text: str, *, actor: str) -> str | None:
    """The committee's answer to an objection; accepted, every unmet requirement becomes met (the answer as its
    reason) and the application MS. The result after."""
    objection = session.scalar(select(Objection).where(Objection.application_id == application_id))
    app = session.get(Application, application_id)
    if objection is None or app is None:
        raise AppError("no_objection", _("This application has no objection."), 404)
    if objection.accepted is not None:
        raise AppError("already_answered", _("This objection was answered already."), 409)
    text = " ".join((text or "").split())
    if not text or len(text) > MAX_TEXT:
        raise AppError("answer_required", _("Write the answer the applicant will read."))
    cipher = people_cipher(session)
    body = cipher.open(objection_aad(app.id), objection.sealed)
    objection.sealed = cipher.seal(objection_aad(app.id), {**body, "answer": text})
    objection.accepted, objection.answered_by, objection.answered_at = accepted, actor, clock.now()
    audit.record(session, "selection.objection_answered", actor=actor, application_id=app.id, accepted=accepted)
    if accepted:
        for check in session.scalars(select(RequirementCheck).where(RequirementCheck.application_id == app.id,
                                                                    RequirementCheck.met.is_(False))):
            check.met, check.reason, check.checked_by, check.checked_at = True, text, actor, clock.now()
        session.flush()
        return selection.decide(session, app, actor)
    return app.result


def objection_of(session: Session, application_id: int) -> dict[str, Any] | None:
    """An application's objection as the pages show it (opened), or None."""
    objection = session.scalar(select(Objection).where(Objection.application_id == application_id))
    if objection is None:
        return None
    body = people_cipher(session).open(objection_aad(application_id), objection.sealed)
    return {"text": body["text"], "answer": body["answer"], "accepted": objection.accepted,
            "filed_at": objection.filed_at, "attachment": objection.attachment_sha256}


def attachment(session: Session, application_id: int) -> tuple[str, bytes, str]:
    """An objection's attachment as (mime, bytes, download name): for verifiers only (the page checks the role)."""
    objection = session.scalar(select(Objection).where(Objection.application_id == application_id))
    app = session.get(Application, application_id)
    if objection is None or app is None or objection.attachment_sha256 is None:
        raise AppError("unknown_document", _("No such document."), 404)
    mime, data = files.opened(session, objection.attachment_sha256)
    return mime, data, f"{app.number}-sanggah.{'pdf' if mime == 'application/pdf' else 'jpg'}"


def announce_final(session: Session, code: str, data_dir: Path, key: Ed25519PrivateKey, *, actor: str) -> int:
    """The signed final list of the eligible (MS), once the window closed and every objection is answered."""
    rec = recruitments.by_code(session, code)
    result = announcement(session, rec.id, "result")
    if result is None:
        raise AppError("not_announced", _("Announce the MS/TMS result first."), 409)
    if announcement(session, rec.id, "final") is not None:
        raise AppError("already_announced", _("The final list of %(code)s was announced already.", code=rec.code), 409)
    if result.objections_until is not None and clock.now() < result.objections_until:
        raise AppError("objections_open", _("The objection window is still open."), 409)
    open_ = session.scalars(select(Application.number).join(Objection, Objection.application_id == Application.id)
                            .where(Application.recruitment_id == rec.id, Objection.accepted.is_(None))).all()
    if open_:
        raise AppError("objections_unanswered", _("Answer every objection first: %(n)s left.", n=len(open_)), 409,
                       problems=list(open_))
    rows = [[a.number, p["name"], f, a.entry_path] for a, p, f in _people(session, rec) if a.result == "MS"]
    sha = _write_signed(data_dir, rec, "final", ["registration_number", "name", "formation", "entry_path"], rows, key)
    session.add(SelectionAnnouncement(recruitment_id=rec.id, stage="final", sha256=sha, announced_by=actor,
                                      announced_at=clock.now()))
    audit.record(session, "selection.announced", actor=actor, recruitment=rec.code, stage="final", sha256=sha,
                 eligible=len(rows))
    return len(rows)
