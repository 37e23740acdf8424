"""The eligible (MS) applicants of a recruitment become candidates of an exam through the candidate import's own
check and creation (proctor.roster): one way candidates are made, rooms and PINs included, no CSV in between."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ground import audit, tables
from ground.errors import AppError
from ground.i18n import _
from ground.models import Candidate, Exam, Room
from ground.models.registration import Application, Formation, Person
from ground.people_seal import card_aad, people_cipher, person_aad
from proctor import roster
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


def export_eligible(session: Session, recruitment: str, exam: Exam, room: str | list[str], sitting: str, *,
                    actor: str) -> list[roster.Issued]:
    """Every MS application not yet exported becomes a candidate in ``room`` (session ``sitting``), or in a list of
    rooms filled by capacity; their PINs (also sealed on the application for the exam card in the portal)."""
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
                 count=len(apps))
    return issued
