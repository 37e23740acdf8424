"""Personal data rights and retention (UU PDP: kept no longer than its purpose needs, erased on request).

- ``purge``: once the final list is announced the committee deletes a recruitment's uploaded documents and objections;
  numbers, results and the audit log remain.
- ``request_erasure`` / ``erase``: a person asks for their data to be erased; the committee confirms. Their account,
  documents, objections and drafts are deleted and their sealed fields replaced by what a signed announcement must
  keep (the name, when they were listed); the NIK fingerprint is replaced, so the NIK no longer finds them.
- ``expire``: past a recruitment's retention date, its applicants' personal data are erased (a person who applied to
  another recruitment still within its retention keeps their record; their documents of this one go).
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ground import audit, clock
from ground.errors import AppError
from ground.i18n import _
from ground.models.objections import ExamObjection
from ground.models.registration import (
    ApplicantAccount,
    Application,
    ApplicationDocument,
    Objection,
    Person,
    Recruitment,
    SelectionAnnouncement,
    StoredFile,
)
from ground.people_seal import people_cipher, person_aad
from registration import announcements, recruitments
from registration.people import Applicant


def _delete_files(session: Session, app_ids: Any) -> dict[str, int]:
    """Delete the documents and objections of these applications, and the stored files no one else uses."""
    docs = select(ApplicationDocument.sha256).where(ApplicationDocument.application_id.in_(app_ids))
    shas = set(session.scalars(docs))
    shas |= set(session.scalars(select(Objection.attachment_sha256).where(Objection.application_id.in_(app_ids),
                                                                          Objection.attachment_sha256.is_not(None))))
    documents = session.execute(delete(ApplicationDocument).where(ApplicationDocument.application_id.in_(app_ids))
                                ).rowcount or 0
    objections = session.execute(delete(Objection).where(Objection.application_id.in_(app_ids))).rowcount or 0
    still_used = set(session.scalars(select(ApplicationDocument.sha256).where(ApplicationDocument.sha256.in_(shas))))
    still_used |= set(session.scalars(select(Objection.attachment_sha256).where(Objection.attachment_sha256.in_(shas))))
    still_used |= set(session.scalars(select(ExamObjection.attachment_sha256)  # the same file, an exam objection's
                                      .where(ExamObjection.attachment_sha256.in_(shas))))
    files = session.execute(delete(StoredFile).where(StoredFile.sha256.in_(shas - still_used))).rowcount or 0
    return {"documents": documents, "files": files, "objections": objections}


def purge(session: Session, code: str, *, actor: str) -> dict[str, int]:
    """Delete the documents (and files no other application uses) and objections of recruitment ``code``."""
    rec = recruitments.by_code(session, code)
    if announcements.announcement(session, rec.id, "final") is None:
        raise AppError("not_final", _("Purge only after the final list is announced."), 409)
    ids = select(Application.id).where(Application.recruitment_id == rec.id)
    counts = {**_delete_files(session, ids),
              "applications": session.scalar(select(func.count()).select_from(ids.subquery())) or 0}
    audit.record(session, "registration.purged", actor=actor, recruitment=rec.code, **counts)
    return counts


def request_erasure(session: Session, who: Applicant) -> None:
    """The person asks for their personal data to be erased (the committee confirms it)."""
    person = session.get(Person, who.person_id)
    assert person is not None
    if person.erasure_requested_at is None:
        person.erasure_requested_at = clock.now()
        audit.record(session, "applicant.erasure_requested", actor=who.actor, person_id=person.id)


def erasure_requested(session: Session, person_id: int) -> bool:
    """Whether the person asked for erasure (not carried out yet)."""
    person = session.get(Person, person_id)
    return person is not None and person.erasure_requested_at is not None


def requests(session: Session) -> list[dict[str, Any]]:
    """Erasure requests not carried out yet, oldest first (the person's id and their registration numbers only)."""
    out = []
    for person in session.scalars(select(Person).where(Person.erasure_requested_at.is_not(None),
                                                       Person.erased_at.is_(None))
                                  .order_by(Person.erasure_requested_at)):
        numbers = list(session.scalars(select(Application.number).where(Application.person_id == person.id)
                                       .order_by(Application.number)))
        out.append({"person_id": person.id, "requested_at": person.erasure_requested_at, "numbers": numbers})
    return out


def erase(session: Session, person_id: int, *, actor: str, why: str = "request") -> dict[str, int]:
    """Erase one person's personal data (``why``: "request" once asked, or "retention"); audited with counts."""
    person = session.get(Person, person_id)
    if person is None or person.erased_at is not None:
        raise AppError("unknown_person", _("No such person, or erased already."), 404)
    if why == "request" and person.erasure_requested_at is None:
        raise AppError("no_request", _("This person has not asked for erasure."), 409)
    cipher = people_cipher(session)
    fields = cipher.open(person_aad(person.nik_fp), person.sealed)
    announced = select(SelectionAnnouncement.recruitment_id)
    listed = session.scalar(select(func.count()).select_from(Application).where(
        Application.person_id == person.id, Application.state == "submitted",
        Application.recruitment_id.in_(announced))) or 0
    ids = select(Application.id).where(Application.person_id == person.id)
    counts = _delete_files(session, ids)
    counts["drafts"] = session.execute(delete(Application).where(Application.person_id == person.id,
                                                                 Application.state == "draft")).rowcount or 0
    counts["accounts"] = session.execute(delete(ApplicantAccount).where(ApplicantAccount.person_id == person.id)
                                         ).rowcount or 0
    kept = {"name": fields.get("name", "")} if listed else {}  # what a signed list published already names
    person.nik_fp = "erased-" + secrets.token_hex(28)
    person.sealed = cipher.seal(person_aad(person.nik_fp), {**kept, "erased": True})
    person.erased_at = person.updated_at = clock.now()
    audit.record(session, "person.erased", actor=actor, person_id=person.id, why=why, kept=sorted(kept), **counts)
    return counts


def expire(session: Session, code: str, *, actor: str) -> dict[str, int]:
    """Past recruitment ``code``'s retention date: erase its applicants' personal data (those still held by another
    recruitment within its retention lose only this one's documents and objections)."""
    rec = recruitments.by_code(session, code)
    if rec.retain_until is None or clock.now() < rec.retain_until:
        raise AppError("not_expired", _("The retention date of %(code)s has not passed.", code=rec.code), 409)
    now = clock.now()
    held = set(session.scalars(select(Application.person_id).join(Recruitment, Recruitment.id ==
                                                                  Application.recruitment_id)
                               .where(Recruitment.id != rec.id, (Recruitment.retain_until.is_(None))
                                      | (Recruitment.retain_until > now))))
    people_ids = list(session.scalars(select(Application.person_id).join(Person, Person.id == Application.person_id)
                                      .where(Application.recruitment_id == rec.id, Person.erased_at.is_(None))))
    counts = _delete_files(session, select(Application.id).where(Application.recruitment_id == rec.id))
    erased = 0
    for person_id in people_ids:
        if person_id not in held:
            erase(session, person_id, actor=actor, why="retention")
            erased += 1
    counts["people"] = erased
    audit.record(session, "registration.expired", actor=actor, recruitment=rec.code, **counts)
    return counts
