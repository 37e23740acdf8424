"""An applicant's application: choose one formation, upload each required document, submit (then it is frozen)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import audit, clock, files
from ground.errors import AppError
from ground.i18n import _
from ground.models.registration import (
    ApplicantAccount,
    Application,
    ApplicationDocument,
    Formation,
    Recruitment,
    Requirement,
    RequirementCheck,
    StoredFile,
)
from registration import recruitments
from registration.people import Applicant


@dataclass(frozen=True)
class Upload:
    """A file sent by the browser."""

    data: bytes
    filename: str


def _verified(session: Session, who: Applicant) -> None:
    account = session.get(ApplicantAccount, who.account_id)
    if account is None or account.verified_at is None:
        raise AppError("not_verified", _("Verify your account with the code we sent first."), 403)


def application_for(session: Session, who: Applicant, rec: Recruitment, *, create: bool) -> Application | None:
    """The applicant's application to ``rec`` (a draft is started when ``create``)."""
    app = session.scalar(select(Application).where(Application.recruitment_id == rec.id,
                                                   Application.person_id == who.person_id))
    if app is None and create:
        app = Application(recruitment_id=rec.id, person_id=who.person_id, number=f"{rec.code}-{who.person_id:06d}",
                          state="draft", entry_path="", created_at=clock.now())
        session.add(app)
        session.flush()
        audit.record(session, "application.started", actor=who.actor, application_id=app.id)
    return app


def _draft(session: Session, who: Applicant, code: str) -> tuple[Recruitment, Application]:
    """The applicant's draft in an open recruitment, or the reason it cannot change."""
    _verified(session, who)
    rec = recruitments.by_code(session, code)
    if not recruitments.view(session, rec).is_open(clock.now()):
        raise AppError("registration_closed", _("Registration for this recruitment is closed."), 409)
    app = application_for(session, who, rec, create=True)
    assert app is not None
    if app.state != "draft":
        raise AppError("already_submitted", _("This application was submitted and can no longer change."), 409)
    return rec, app


def choose_formation(session: Session, who: Applicant, code: str, formation_id: int, entry_path: str,
                     site: str = "") -> None:
    """Apply to one formation of the recruitment on one of its entry paths, with the preferred test site (optional:
    the exam planning seats the applicant in a session at that site)."""
    rec, app = _draft(session, who, code)
    site = " ".join(site.split())
    if len(site) > 255:
        raise AppError("bad_site", _("The preferred test site is at most 255 characters."))
    formation = session.get(Formation, formation_id)
    if formation is None or formation.recruitment_id != rec.id:
        raise AppError("unknown_formation", _("Choose a formation of this recruitment."))
    if entry_path not in formation.entry_paths:
        raise AppError("bad_entry_path", _("Choose one of this formation's entry paths."))
    app.formation_id, app.entry_path, app.site = formation.id, entry_path, site
    audit.record(session, "application.formation_chosen", actor=who.actor, application_id=app.id,
                 formation=formation.code, entry_path=entry_path, site=site)


def upload(session: Session, who: Applicant, code: str, requirement_id: int, upload: Upload) -> str:
    """Store one required document, sealed, by its SHA-256; refused when the type or size is not allowed."""
    rec, app = _draft(session, who, code)
    req = session.get(Requirement, requirement_id)
    if req is None or req.recruitment_id != rec.id:
        raise AppError("unknown_requirement", _("This recruitment does not ask for that document."), 404)
    mime = files.checked(upload.data, req.name, req.kinds, req.max_bytes)
    sha = files.store(session, upload.data, mime)
    doc = session.scalar(select(ApplicationDocument).where(ApplicationDocument.application_id == app.id,
                                                           ApplicationDocument.requirement_id == req.id))
    if doc is None:
        session.add(ApplicationDocument(application_id=app.id, requirement_id=req.id, sha256=sha,
                                        uploaded_at=clock.now()))
    else:
        doc.sha256, doc.uploaded_at = sha, clock.now()
    audit.record(session, "application.document_uploaded", actor=who.actor, application_id=app.id,
                 requirement=req.code, sha256=sha, size=len(upload.data))
    return sha


def submit(session: Session, who: Applicant, code: str) -> None:
    """Freeze the application once it has a formation and every document; refused with what is missing."""
    rec, app = _draft(session, who, code)
    missing = []
    if app.formation_id is None:
        missing.append(_("a formation"))
    have = set(session.scalars(select(ApplicationDocument.requirement_id)
                               .where(ApplicationDocument.application_id == app.id)))
    missing += [r.name for r in session.scalars(select(Requirement).where(Requirement.recruitment_id == rec.id)
                                                .order_by(Requirement.id)) if r.id not in have]
    if missing:
        raise AppError("incomplete", _("Not yet complete: %(missing)s.", missing=", ".join(missing)), 409,
                       problems=missing)
    app.state, app.submitted_at = "submitted", clock.now()
    audit.record(session, "application.submitted", actor=who.actor, application_id=app.id)


def status(session: Session, app: Application | None) -> dict[str, Any]:
    """The application's state, documents and verification marks, for the pages (no file contents)."""
    if app is None:
        return {"application": None, "documents": {}, "checks": {}}
    docs = session.execute(
        select(ApplicationDocument, StoredFile.mime, StoredFile.size)
        .join(StoredFile, StoredFile.sha256 == ApplicationDocument.sha256)
        .where(ApplicationDocument.application_id == app.id)
    )
    checks = session.scalars(select(RequirementCheck).where(RequirementCheck.application_id == app.id))
    return {
        "application": {"id": app.id, "number": app.number, "state": app.state, "formation_id": app.formation_id,
                        "entry_path": app.entry_path, "site": app.site, "submitted_at": app.submitted_at,
                        "result": app.result, "has_card": app.card_sealed is not None},
        "documents": {d.requirement_id: {"id": d.id, "sha256": d.sha256, "mime": mime, "size": size,
                                         "uploaded_at": d.uploaded_at} for d, mime, size in docs},
        "checks": {c.requirement_id: {"met": c.met, "reason": c.reason, "by": c.checked_by,
                                      "confirmed_by": c.confirmed_by} for c in checks},
    }


def document(session: Session, doc_id: int, *, person_id: int | None) -> tuple[str, bytes, str]:
    """A document's (mime, bytes, download name): for its owner (``person_id``), or for staff when None."""
    doc = session.get(ApplicationDocument, doc_id)
    app = session.get(Application, doc.application_id) if doc is not None else None
    if doc is None or app is None or (person_id is not None and app.person_id != person_id):
        raise AppError("unknown_document", _("No such document."), 404)
    req = session.get(Requirement, doc.requirement_id)
    assert req is not None
    mime, data = files.opened(session, doc.sha256)
    ext = "pdf" if mime == "application/pdf" else "jpg"
    return mime, data, f"{app.number}-{req.code}.{ext}"
