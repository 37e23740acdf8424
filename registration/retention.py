"""Retention per recruitment (UU PDP: kept no longer than its purpose needs): once the final list is announced the
committee purges the recruitment's uploaded documents and objections; numbers, results and the audit log remain."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ground import audit
from ground.errors import AppError
from ground.i18n import _
from ground.models.objections import ExamObjection
from ground.models.registration import Application, ApplicationDocument, Objection, StoredFile
from registration import announcements, recruitments


def purge(session: Session, code: str, *, actor: str) -> dict[str, int]:
    """Delete the documents (and files no other application uses) and objections of recruitment ``code``."""
    rec = recruitments.by_code(session, code)
    if announcements.announcement(session, rec.id, "final") is None:
        raise AppError("not_final", _("Purge only after the final list is announced."), 409)
    ids = select(Application.id).where(Application.recruitment_id == rec.id)
    shas = set(session.scalars(select(ApplicationDocument.sha256).where(ApplicationDocument.application_id.in_(ids))))
    documents = session.execute(delete(ApplicationDocument).where(ApplicationDocument.application_id.in_(ids))
                                ).rowcount or 0
    still_used = set(session.scalars(select(ApplicationDocument.sha256).where(ApplicationDocument.sha256.in_(shas))))
    still_used |= set(session.scalars(select(ExamObjection.attachment_sha256)  # the same file, an exam objection's
                                      .where(ExamObjection.attachment_sha256.in_(shas))))
    files = session.execute(delete(StoredFile).where(StoredFile.sha256.in_(shas - still_used))).rowcount or 0
    objections = session.execute(delete(Objection).where(Objection.application_id.in_(ids))).rowcount or 0
    counts = {"documents": documents, "files": files, "objections": objections,
              "applications": session.scalar(select(func.count()).select_from(ids.subquery())) or 0}
    audit.record(session, "registration.purged", actor=actor, recruitment=rec.code, **counts)
    return counts
