"""The eligible (MS) applicants of a recruitment become candidates of an exam through the candidate import's own
check and creation (proctor.roster): one way candidates are made, rooms and PINs included, no CSV in between."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ground import audit, tables
from ground.errors import AppError
from ground.i18n import _
from ground.models import Candidate, Exam, Room
from ground.models.registration import Application, Formation, Person
from ground.people_seal import card_aad, people_cipher, person_aad
from proctor import exam_sessions, roster
from registration import recruitments
from scoring.presets import RulesError
from scoring.store.announcement import exam_rules

HEADER = ["participant_no", "name", "birth_date", "formation", "entry_path", "formation_quota", "session", "room"]


def participant_no(app: Application) -> str:
    """The exam participant number of an application (unique across recruitments: it carries the row id)."""
    return f"R{app.id:08d}"


def seats(session: Session, exam: Exam, rooms: list[str], wanted: int) -> list[str]:
    """``wanted`` room codes filling the given rooms of ``exam`` in order, each up to its free seats (capacity minus
    the candidates it has); refused when a room is unknown, of another exam, without a capacity, or all are full."""
    plan: list[str] = []
    for code in rooms:
        room = session.scalar(select(Room).where(Room.code == code))
        if room is None or room.exam_id != exam.id or room.capacity is None:
            raise AppError("bad_room", _("Room %(code)s is not a room of %(exam)s with a capacity (room add "
                                         "--capacity).", code=code, exam=exam.code), 409)
        taken = session.scalar(select(func.count()).select_from(Candidate).where(Candidate.room_id == room.id)) or 0
        plan += [code] * max(0, min(room.capacity - taken, wanted - len(plan)))
    if len(plan) < wanted:
        raise AppError("no_seats", _("%(n)s eligible applicants but %(free)s free seats in these rooms.", n=wanted,
                                     free=len(plan)), 409)
    return plan


def _site_key(site: str) -> str:
    return " ".join(site.split()).casefold()


def plan_by_site(session: Session, exam: Exam, apps: list[Application]) -> list[str]:
    """A room code per application, in order: the exam's sessions that are not closed, in the order they start, their
    rooms (with a capacity) by free seats. An applicant with a preferred site sits in a session at that site (case and
    spacing ignored), the others in the seats left, earliest session first. Refused, naming the sites, when a preferred
    site has no session of the exam or too few seats: nobody is moved to another island without being asked."""
    seats_by_site: dict[str, list[list[Any]]] = {}
    order: list[list[Any]] = []  # every [room code, free seats] in session order; shared with seats_by_site
    for sitting in exam_sessions.sessions(session, exam):
        if sitting.state == "closed":
            continue
        for room in exam_sessions.rooms_of(session, sitting):
            if room.capacity is None:
                continue
            taken = session.scalar(select(func.count()).select_from(Candidate)
                                   .where(Candidate.room_id == room.id)) or 0
            cell = [room.code, max(0, room.capacity - taken)]
            seats_by_site.setdefault(_site_key(sitting.site), []).append(cell)
            order.append(cell)
    if not order:
        raise AppError("no_sessions", _("Exam %(exam)s has no session with rooms and seats yet.", exam=exam.code), 409)

    def take(cells: list[list[Any]]) -> str | None:
        for cell in cells:
            if cell[1] > 0:
                cell[1] -= 1
                return str(cell[0])
        return None

    plan: list[str | None] = [None] * len(apps)
    unknown: dict[str, int] = {}
    short: dict[str, int] = {}
    for i, app in enumerate(apps):
        key = _site_key(app.site)
        if not key:
            continue
        shown = " ".join(app.site.split())
        if key not in seats_by_site:
            unknown[shown] = unknown.get(shown, 0) + 1
            continue
        plan[i] = take(seats_by_site[key])
        if plan[i] is None:
            short[shown] = short.get(shown, 0) + 1
    if unknown:
        named = ", ".join(f"{site} ({n})" for site, n in sorted(unknown.items()))
        raise AppError("unknown_site", _("Exam %(exam)s has no session at the preferred site of some applicants: "
                                         "%(sites)s; nobody was exported.", exam=exam.code, sites=named), 409,
                       problems=sorted(unknown))
    if short:
        named = ", ".join(f"{site} ({n})" for site, n in sorted(short.items()))
        raise AppError("no_seats_at_site", _("Too few seats at the preferred sites, missing: %(sites)s; nobody was "
                                             "exported.", sites=named), 409, problems=sorted(short))
    for i in range(len(apps)):
        if plan[i] is None:
            plan[i] = take(order)
    missing = plan.count(None)
    if missing:
        raise AppError("no_seats", _("%(n)s eligible applicants but %(free)s free seats in these rooms.",
                                     n=len(apps), free=len(apps) - missing), 409)
    return [code for code in plan if code is not None]


def export_eligible(session: Session, recruitment: str, exam: Exam, room: str | list[str] | None, sitting: str, *,
                    actor: str) -> list[roster.Issued]:
    """Every MS application not yet exported becomes a candidate in ``room`` (session ``sitting``), or in a list of
    rooms filled by capacity, or (``room`` None) in the exam's sessions by their site and each applicant's preferred
    site (``plan_by_site``); their PINs (also sealed on the application for the exam card in the portal)."""
    rec = recruitments.by_code(session, recruitment)
    apps = list(session.scalars(select(Application).where(
        Application.recruitment_id == rec.id, Application.result == "MS", Application.candidate_id.is_(None)
    ).order_by(Application.id)))
    if not apps:
        return []
    rules = exam_rules(exam)
    unknown = []
    for path in sorted({a.entry_path for a in apps}):
        try:
            rules.path(path)
        except RulesError:
            unknown.append(path)
    if unknown:  # scoring such a paper would fail when the candidate submits
        raise AppError("unknown_entry_path", _("Exam %(exam)s has no passing grades for the entry path %(paths)s: add "
                                               "them to its rules first; nobody was exported.", exam=exam.code,
                                               paths=", ".join(unknown)), 409, problems=unknown)
    # one room: made when missing (as the candidate import does); several: existing rooms filled by capacity in order
    if room is None:
        plan = plan_by_site(session, exam, apps)
    else:
        plan = [room] * len(apps) if isinstance(room, str) else seats(session, exam, room, len(apps))
    if not isinstance(room, str):
        sitting = ""
    cipher = people_cipher(session)
    rows = []
    for line, (app, room_code) in enumerate(zip(apps, plan, strict=True), start=2):
        person = session.get(Person, app.person_id)
        formation = session.get(Formation, app.formation_id)
        assert person is not None and formation is not None
        fields = cipher.open(person_aad(person.nik_fp), person.sealed)
        rows.append((line, dict(zip(HEADER, [participant_no(app), fields["name"], fields["birth_date"],
                                             formation.name, app.entry_path, str(formation.quota), sitting,
                                             room_code],
                                    strict=True))))
    checked = roster.check(session, exam, tables.Table(HEADER, rows))
    issued = roster.add(session, exam, checked, actor=actor)
    ids = dict(session.execute(select(Candidate.participant_no, Candidate.id).where(
        Candidate.exam_id == exam.id, Candidate.participant_no.in_([participant_no(a) for a in apps]))).all())
    pins = {i.participant_no: i for i in issued}
    for app in apps:  # the card reaches the applicant through the portal: its PIN kept sealed, not only printed
        number = participant_no(app)
        app.candidate_id = ids[number]
        app.card_sealed = cipher.seal(card_aad(app.id), {"participant_no": number, "pin": pins[number].pin})
    audit.record(session, "registration.exported", actor=actor, exam_id=exam.id, recruitment=rec.code,
                 count=len(apps), by_site=room is None)
    return issued
