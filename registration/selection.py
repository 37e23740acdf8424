"""Administrative selection (*seleksi administrasi*): verifiers mark each requirement of a submitted application met
or not with a reason; once every requirement is marked the application is MS (all met) or TMS."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ground import audit, clock
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
from ground.people_seal import people_cipher, person_aad
from registration import applications

MAX_REASON = 500


def queue(session: Session) -> list[dict[str, Any]]:
    """Submitted applications, undecided first then oldest first, with how many requirements are marked."""
    marked = (select(RequirementCheck.application_id, func.count().label("n"))
              .group_by(RequirementCheck.application_id).subquery())
    rows = session.execute(
        select(Application, Recruitment.code, Formation.name, func.coalesce(marked.c.n, 0))
        .join(Recruitment, Recruitment.id == Application.recruitment_id)
        .outerjoin(Formation, Formation.id == Application.formation_id)
        .outerjoin(marked, marked.c.application_id == Application.id)
        .where(Application.state == "submitted")
        .order_by(Application.result.is_not(None), Application.submitted_at, Application.id)
    )
    totals = dict(session.execute(select(Requirement.recruitment_id, func.count()).group_by(Requirement.recruitment_id))
                  .all())
    return [{"id": a.id, "number": a.number, "recruitment": code, "formation": formation or "",
             "submitted_at": a.submitted_at, "marked": n, "total": totals.get(a.recruitment_id, 0), "result": a.result}
            for a, code, formation, n in rows]


STATES = ("draft", "undecided", "MS", "TMS", "objected")  # the console's lists of a recruitment's applications


def by_state(session: Session, recruitment_id: int, state: str) -> list[dict[str, Any]]:
    """A recruitment's applications in one of ``STATES``, in number order (no personal fields)."""
    query = (select(Application, Formation.name).outerjoin(Formation, Formation.id == Application.formation_id)
             .where(Application.recruitment_id == recruitment_id).order_by(Application.number))
    if state == "draft":
        query = query.where(Application.state == "draft")
    elif state == "undecided":
        query = query.where(Application.state == "submitted", Application.result.is_(None))
    elif state in ("MS", "TMS"):
        query = query.where(Application.state == "submitted", Application.result == state)
    elif state == "objected":
        query = query.where(Application.id.in_(select(Objection.application_id)))
    else:
        raise AppError("bad_state", _("Choose one of: %(states)s.", states=", ".join(STATES)))
    objected = set(session.scalars(select(Objection.application_id).join(
        Application, Application.id == Objection.application_id).where(Application.recruitment_id == recruitment_id)))
    return [{"id": a.id, "number": a.number, "formation": f or "", "entry_path": a.entry_path, "state": a.state,
             "result": a.result, "submitted_at": a.submitted_at, "objected": a.id in objected}
            for a, f in session.execute(query)]


def _submitted(session: Session, application_id: int) -> Application:
    app = session.get(Application, application_id)
    if app is None or app.state != "submitted":
        raise AppError("unknown_application", _("No submitted application with this number."), 404)
    return app


def detail(session: Session, application_id: int) -> dict[str, Any]:
    """One application as a verifier sees it: the person, the formation, each requirement with its file and mark."""
    app = _submitted(session, application_id)
    person = session.get(Person, app.person_id)
    assert person is not None
    fields = people_cipher(session).open(person_aad(person.nik_fp), person.sealed)
    formation = session.get(Formation, app.formation_id) if app.formation_id else None
    state = applications.status(session, app)
    reqs = session.scalars(select(Requirement).where(Requirement.recruitment_id == app.recruitment_id)
                           .order_by(Requirement.id))
    return {
        "application": state["application"],
        "person": {k: fields.get(k, "") for k in ("name", "nik", "birth_date", "sex", "education")},
        "formation": None if formation is None else {"code": formation.code, "name": formation.name,
                                                     "education": formation.education},
        "requirements": [{"id": r.id, "code": r.code, "name": r.name, "kinds": list(r.kinds),
                          "document": state["documents"].get(r.id), "check": state["checks"].get(r.id)}
                         for r in reqs],
    }


def mark(
    session: Session, application_id: int, requirement_id: int, met: bool, reason: str, *, actor: str
) -> str | None:
    """Record one requirement met or not (a reason is required when not met); returns the result once decided."""
    app = _submitted(session, application_id)
    req = session.get(Requirement, requirement_id)
    if req is None or req.recruitment_id != app.recruitment_id:
        raise AppError("unknown_requirement", _("This recruitment does not ask for that document."), 404)
    announced = select(SelectionAnnouncement.id).where(SelectionAnnouncement.recruitment_id == app.recruitment_id)
    if session.scalar(announced.limit(1)) is not None:
        raise AppError("announced", _("The result was announced: it changes only through an answered objection."), 409)
    reason = " ".join((reason or "").split())
    if not met and not reason:
        raise AppError("reason_required", _("Give the reason a requirement is not met."))
    if len(reason) > MAX_REASON:
        raise AppError("too_long", _("The reason holds at most %(n)s characters.", n=MAX_REASON))
    check = session.scalar(select(RequirementCheck).where(RequirementCheck.application_id == app.id,
                                                          RequirementCheck.requirement_id == req.id))
    now = clock.now()
    if check is None:
        session.add(RequirementCheck(application_id=app.id, requirement_id=req.id, met=met, reason=reason,
                                     checked_by=actor, checked_at=now))
    else:  # a changed mark needs its second check again
        check.met, check.reason, check.checked_by, check.checked_at = met, reason, actor, now
        check.confirmed_by = check.confirmed_at = None
    session.flush()
    audit.record(session, "selection.marked", actor=actor, application_id=app.id, requirement=req.code, met=met,
                 reason=reason or None)
    return decide(session, app, actor)


def confirm(session: Session, application_id: int, requirement_id: int, *, actor: str) -> None:
    """A second verifier confirms a mark (the four-eyes check); the verifier who made it cannot."""
    app = _submitted(session, application_id)
    check = session.scalar(select(RequirementCheck).where(RequirementCheck.application_id == app.id,
                                                          RequirementCheck.requirement_id == requirement_id))
    if check is None:
        raise AppError("not_marked", _("Mark the requirement before it can be confirmed."), 409)
    if check.checked_by == actor:
        raise AppError("same_verifier", _("A second verifier confirms a mark, not the one who made it."), 409)
    check.confirmed_by, check.confirmed_at = actor, clock.now()
    audit.record(session, "selection.confirmed", actor=actor, application_id=app.id, requirement_id=requirement_id,
                 marked_by=check.checked_by, met=check.met)


def decide(session: Session, app: Application, actor: str) -> str | None:
    """MS when every requirement is marked met, TMS when every one is marked and one is not; None while unmarked."""
    total = session.scalar(select(func.count()).select_from(Requirement)
                           .where(Requirement.recruitment_id == app.recruitment_id)) or 0
    marks = list(session.scalars(select(RequirementCheck.met).where(RequirementCheck.application_id == app.id)))
    result = None if len(marks) < total else ("MS" if all(marks) else "TMS")
    if result != app.result:
        app.result = result
        app.decided_at = clock.now() if result else None
        audit.record(session, "selection.decided", actor=actor, application_id=app.id, result=result)
    return result
