"""An applicant's application: choose one formation, upload each required document, submit (then it is frozen)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ground import audit, clock
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
from ground.people_seal import file_aad, people_cipher
from registration import recruitments
from registration.people import Applicant

# what a file's first bytes must be for each accepted kind (the name and the browser's type are not trusted)
MAGIC = {"pdf": b"%PDF-", "jpeg": b"\xff\xd8\xff"}


@dataclass(frozen=True)
class Upload:
    """A file sent by the browser."""

    data: bytes
    filename: str


def sniff(data: bytes) -> str | None:
    """The accepted kind the bytes really are ("pdf", "jpeg"), or None."""
    for kind, magic in MAGIC.items():
        if data.startswith(magic):
            return kind
    return None


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


def choose_formation(session: Session, who: Applicant, code: str, formation_id: int, entry_path: str) -> None:
    """Apply to one formation of the recruitment on one of its entry paths."""
    rec, app = _draft(session, who, code)
    formation = session.get(Formation, formation_id)
    if formation is None or formation.recruitment_id != rec.id:
        raise AppError("unknown_formation", _("Choose a formation of this recruitment."))
    if entry_path not in formation.entry_paths:
        raise AppError("bad_entry_path", _("Choose one of this formation's entry paths."))
    app.formation_id, app.entry_path = formation.id, entry_path
    audit.record(session, "application.formation_chosen", actor=who.actor, application_id=app.id,
                 formation=formation.code, entry_path=entry_path)


def upload(session: Session, who: Applicant, code: str, requirement_id: int, upload: Upload) -> str:
    """Store one required document, sealed, by its SHA-256; refused when the type or size is not allowed."""
    rec, app = _draft(session, who, code)
    req = session.get(Requirement, requirement_id)
    if req is None or req.recruitment_id != rec.id:
        raise AppError("unknown_requirement", _("This recruitment does not ask for that document."), 404)
    sha = store_file(session, upload.data, req.name, list(req.kinds), req.max_bytes)
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


def store_file(session: Session, data: bytes, what: str, kinds: list[str], max_bytes: int) -> str:
    """Check a file (not empty, at most ``max_bytes``, really one of ``kinds`` by its first bytes), store it sealed
    once by its SHA-256 and return the hash; refused with the reason naming ``what`` otherwise."""
    if not data:
        raise AppError("empty_file", _("Choose a file to upload."))
    if len(data) > max_bytes:
        raise AppError("file_too_large", _("%(doc)s may be at most %(kb)s KB; this file is %(size)s KB.", doc=what,
                                           kb=max_bytes // 1024, size=-(-len(data) // 1024)), 413)
    kind = sniff(data)
    if kind is None or kind not in kinds:
        allowed = " / ".join(k.upper() for k in kinds)
        raise AppError("file_type", _("%(doc)s must be a %(kinds)s file; this file is not.", doc=what,
                                      kinds=allowed), 415)
    sha = hashlib.sha256(data).hexdigest()
    mime = recruitments.KINDS[kind]
    if session.get(StoredFile, sha) is None:
        # two applicants may send the same bytes at once: the second insert is a no-op, not an integrity error
        sealed = people_cipher(session).seal_bytes(file_aad(sha, mime), data)
        dialect = session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(StoredFile).values(sha256=sha, mime=mime, size=len(data), sealed=sealed)
                        .on_conflict_do_nothing(index_elements=["sha256"]))
    return sha


def open_file(session: Session, sha: str) -> tuple[str, bytes]:
    """A stored file's (mime, bytes), opened."""
    stored = session.get(StoredFile, sha)
    if stored is None:
        raise AppError("unknown_document", _("No such document."), 404)
    return stored.mime, people_cipher(session).open_bytes(file_aad(stored.sha256, stored.mime), stored.sealed)


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
                        "entry_path": app.entry_path, "submitted_at": app.submitted_at, "result": app.result,
                        "has_card": app.card_sealed is not None},
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
    mime, data = open_file(session, doc.sha256)
    ext = "pdf" if mime == "application/pdf" else "jpg"
    return mime, data, f"{app.number}-{req.code}.{ext}"
