"""The eligible (MS) applicants of a recruitment become candidates of an exam through the candidate import's own
check and creation (proctor.roster): one way candidates are made, rooms and PINs included, no CSV in between."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import audit, tables
from ground.errors import AppError
from ground.i18n import _
from ground.models import Candidate, Exam
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


def export_eligible(session: Session, recruitment: str, exam: Exam, room: str, sitting: str, *,
                    actor: str) -> list[roster.Issued]:
    """Every MS application not yet exported becomes a candidate in ``room`` (session ``sitting``); their PINs (also
    sealed on the application for the exam card in the portal)."""
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
    cipher = people_cipher(session)
    rows = []
    for line, app in enumerate(apps, start=2):
        person = session.get(Person, app.person_id)
        formation = session.get(Formation, app.formation_id)
        assert person is not None and formation is not None
        fields = cipher.open(person_aad(person.nik_fp), person.sealed)
        rows.append((line, dict(zip(HEADER, [participant_no(app), fields["name"], fields["birth_date"],
                                             formation.name, app.entry_path, str(formation.quota), sitting, room],
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
