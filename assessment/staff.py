"""Serving staff: an import (CSV/XLSX through ground.tables) checked whole with a reason per line, or people from the
registration's person records; NIP, name, birth date and sex sealed like the registration's people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment import nip as nip_rules
from ground import audit, clock, tables
from ground.i18n import _
from ground.models.assessment import AssessmentInvitation, AssessmentProgramme, StaffMember
from ground.models.registration import Person
from ground.people_seal import PeopleCipher, people_cipher, person_aad

COLUMNS = {
    "nip": ("nip",),
    "name": ("name", "nama"),
    "unit": ("unit", "unit_kerja", "satuan_kerja"),
    "position": ("position", "jabatan"),
}
REQUIRED = ("nip", "name", "unit")


class StaffImportError(ValueError):
    """Refused as a whole: (line, message) pairs to show at their place (line 1 is the header)."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass(frozen=True)
class StaffRow:
    """One valid line of a staff import."""

    line: int
    nip: str
    name: str
    unit: str
    position: str
    birth_date: date
    sex: str


def staff_aad(key_fp: str) -> bytes:
    """Binds a staff member's sealed fields to their row."""
    return f"people:staff:{key_fp}".encode()


def _key(header: str) -> str:
    return header.strip().lower().replace(" ", "_")


def check(table: tables.Table) -> list[StaffRow]:
    """Every line valid, or StaffImportError with every problem by line; nothing is stored."""
    if not table.rows:
        raise StaffImportError([(0, _("The file has no staff rows."))])
    cols: dict[str, str] = {}
    for header in table.header:
        for field, names in COLUMNS.items():
            if _key(header) in names:
                cols[field] = header
    missing = [f for f in REQUIRED if f not in cols]
    if missing:
        raise StaffImportError([(1, _("Missing column(s): %(cols)s.", cols=", ".join(missing)))])
    today = clock.now().date()
    problems: list[tuple[int, str]] = []
    rows: list[StaffRow] = []
    seen: dict[str, int] = {}
    for line, raw in table.rows:
        get = {f: " ".join(tables.cell_text(raw.get(c)).split()) for f, c in cols.items()}
        errs = []
        parsed = None
        try:
            parsed = nip_rules.parse(get["nip"], today)
        except nip_rules.NipError as exc:
            errs.append(_("NIP '%(v)s': %(why)s", v=get["nip"], why=str(exc)))
        if parsed is not None and parsed.number in seen:
            errs.append(_("NIP %(v)s repeats line %(line)s", v=parsed.number, line=seen[parsed.number]))
        if not get["name"] or len(get["name"]) > 255:
            errs.append(_("name is missing or longer than 255 characters"))
        if not get["unit"] or len(get["unit"]) > 255:
            errs.append(_("unit is missing or longer than 255 characters"))
        if len(get.get("position", "")) > 255:
            errs.append(_("position is longer than 255 characters"))
        if parsed is not None:
            seen.setdefault(parsed.number, line)
        if errs or parsed is None:
            problems += [(line, e) for e in errs]
            continue
        rows.append(StaffRow(line, parsed.number, get["name"], get["unit"], get.get("position", ""),
                             parsed.birth_date, parsed.sex))
    if problems:
        raise StaffImportError(problems)
    return rows


def _upsert(session: Session, cipher: PeopleCipher, key_fp: str, fields: dict[str, Any], unit: str, position: str,
            person_id: int | None = None) -> StaffMember:
    now = clock.now()
    member = session.scalar(select(StaffMember).where(StaffMember.key_fp == key_fp))
    if member is None:
        member = StaffMember(key_fp=key_fp, sealed=b"", unit=unit, position=position, person_id=person_id,
                             created_at=now, updated_at=now)
        session.add(member)
    member.sealed = cipher.seal(staff_aad(key_fp), fields)
    member.unit, member.position, member.updated_at = unit, position, now
    if person_id is not None:
        member.person_id = person_id
    session.flush()
    return member


def invite(session: Session, programme: AssessmentProgramme, members: list[StaffMember], actor: str) -> int:
    """Invite these staff to the programme (those invited already stay so); how many are new."""
    have = set(session.scalars(select(AssessmentInvitation.staff_id).where(
        AssessmentInvitation.programme_id == programme.id)))
    new = [m for m in members if m.id not in have]
    for m in new:
        session.add(AssessmentInvitation(programme_id=programme.id, staff_id=m.id, invited_by=actor,
                                         invited_at=clock.now()))
    session.flush()
    return len(new)


def import_rows(session: Session, programme: AssessmentProgramme, rows: list[StaffRow], actor: str) -> int:
    """Store (or update: unit, position, name) every row's staff member and invite them; how many were invited."""
    cipher = people_cipher(session)
    members = []
    for r in rows:
        fields = {"nip": r.nip, "name": r.name, "birth_date": r.birth_date.isoformat(), "sex": r.sex}
        members.append(_upsert(session, cipher, cipher.fingerprint("nip", r.nip), fields, r.unit, r.position))
    invited = invite(session, programme, members, actor)
    audit.record(session, "assessment.staff_imported", actor=actor, programme=programme.code, rows=len(rows),
                 invited=invited)
    return invited


def invite_people(session: Session, programme: AssessmentProgramme, person_ids: list[int], unit: str,
                  position: str, actor: str) -> int:
    """People of the registration's person records invited (their name and birth date from the sealed record)."""
    cipher = people_cipher(session)
    members = []
    for pid in person_ids:
        person = session.get(Person, pid)
        if person is None:
            continue
        fields = cipher.open(person_aad(person.nik_fp), person.sealed)
        members.append(_upsert(session, cipher, cipher.fingerprint("person", str(person.id)),
                               {"nip": "", "name": fields.get("name", ""), "birth_date": fields.get("birth_date", ""),
                                "sex": fields.get("sex", "")}, unit, position, person_id=person.id))
    invited = invite(session, programme, members, actor)
    audit.record(session, "assessment.people_invited", actor=actor, programme=programme.code, people=len(members),
                 invited=invited)
    return invited


def opened(session: Session, member: StaffMember) -> dict[str, Any]:
    """A staff member's sealed fields with unit and position."""
    fields = people_cipher(session).open(staff_aad(member.key_fp), member.sealed)
    return {"id": member.id, "unit": member.unit, "position": member.position, "person_id": member.person_id,
            **fields}


def invited(session: Session, programme: AssessmentProgramme) -> list[dict[str, Any]]:
    """The programme's invited staff, opened, by unit then name."""
    members = session.scalars(select(StaffMember).join(
        AssessmentInvitation, AssessmentInvitation.staff_id == StaffMember.id).where(
        AssessmentInvitation.programme_id == programme.id))
    return sorted((opened(session, m) for m in members), key=lambda m: (m["unit"], m["name"]))


def people_choices(session: Session, limit: int = 500) -> list[dict[str, Any]]:
    """Person records of the registration (name and the NIK's last four digits) to invite from."""
    cipher = people_cipher(session)
    out = []
    for person in session.scalars(select(Person).order_by(Person.id).limit(limit)):
        fields = cipher.open(person_aad(person.nik_fp), person.sealed)
        out.append({"id": person.id, "name": fields.get("name", ""), "nik_tail": str(fields.get("nik", ""))[-4:]})
    return out
