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

from ground import audit, clock
from ground.config import write_private
from ground.documents import csv_writer
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
from registration.people import Applicant
from scoring.signing import sign_file

MIN_TEXT, MAX_TEXT = 10, 2000


def announcement(session: Session, recruitment_id: int, stage: str) -> SelectionAnnouncement | None:
    """The recruitment's announcement of ``stage`` ("result" or "final"), if made."""
    return session.scalar(select(SelectionAnnouncement).where(SelectionAnnouncement.recruitment_id == recruitment_id,
                                                              SelectionAnnouncement.stage == stage))


def _write_signed(out: Path, header: list[str], rows: list[list[Any]], key: Ed25519PrivateKey) -> str:
    """The list as CSV (formula-safe), owner-only, with its detached signature; its SHA-256."""
    buf = io.StringIO()
    w = csv_writer(buf)
    w.writerow(header)
    w.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    write_private(out, data)
    sign_file(out, key)
    return hashlib.sha256(data).hexdigest()


def _people(session: Session, rec: Recruitment) -> list[tuple[Application, dict[str, Any], str]]:
    """Submitted applications in number order, with the person's opened fields and the formation's name."""
    cipher = people_cipher(session)
    rows = session.execute(select(Application, Person, Formation.name)
                           .join(Person, Person.id == Application.person_id)
                           .outerjoin(Formation, Formation.id == Application.formation_id)
                           .where(Application.recruitment_id == rec.id, Application.state == "submitted")
                           .order_by(Application.number)).all()
    return [(a, cipher.open(person_aad(p.nik_fp), p.sealed), f or "") for a, p, f in rows]


def announce_result(session: Session, code: str, out: Path, objections_until: datetime, key: Ed25519PrivateKey, *,
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
    sha = _write_signed(out, ["registration_number", "name", "formation", "result", "reasons"], rows, key)
    session.add(SelectionAnnouncement(recruitment_id=rec.id, stage="result", sha256=sha,
                                      objections_until=objections_until, announced_by=actor,
                                      announced_at=clock.now()))
    audit.record(session, "selection.announced", actor=actor, recruitment=rec.code, stage="result", sha256=sha,
                 ms=sum(r[3] == "MS" for r in rows), tms=sum(r[3] == "TMS" for r in rows),
                 objections_until=clock.isoformat(objections_until))
    return len(rows)


def object_to(session: Session, who: Applicant, code: str, text: str) -> None:
    """The applicant's one objection to their TMS result, within the window."""
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
    session.add(Objection(application_id=app.id, filed_at=clock.now(),
                          sealed=people_cipher(session).seal(objection_aad(app.id), {"text": text, "answer": ""})))
    audit.record(session, "application.objected", actor=who.actor, application_id=app.id)


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
            "filed_at": objection.filed_at}


def announce_final(session: Session, code: str, out: Path, key: Ed25519PrivateKey, *, actor: str) -> int:
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
    sha = _write_signed(out, ["registration_number", "name", "formation", "entry_path"], rows, key)
    session.add(SelectionAnnouncement(recruitment_id=rec.id, stage="final", sha256=sha, announced_by=actor,
                                      announced_at=clock.now()))
    audit.record(session, "selection.announced", actor=actor, recruitment=rec.code, stage="final", sha256=sha,
                 eligible=len(rows))
    return len(rows)
