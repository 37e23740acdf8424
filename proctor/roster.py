"""Candidates from the registration system's export (CSV or XLSX): checked whole, then added with fresh PINs.

Columns (English or Indonesian header names): participant_no/no_peserta, name/nama, birth_date/tanggal_lahir,
formation/formasi, quota/kuota (the formation's quota, the same on every row of a formation), gpa/ipk (a final
tie-break), entry_path/jalur (any spelling scoring accepts: "Cum Laude" → cum_laude), session/sesi, room/ruang.
One exam room per (room, session) pair: code
``<room>-S<session>`` (or ``<room>`` without a session), created when missing.

Accommodations, set in advance and optional: extra_time_min/tambahan_waktu (minutes) or extra_time_s/
tambahan_waktu_detik (seconds), large_text/teks_besar and high_contrast/kontras_tinggi (ya/tidak, yes/no, 1/0;
empty is no).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ground import audit, tables
from ground.config import write_private
from ground.documents import csv_writer, restore_cell
from ground.i18n import _
from ground.keyring import pin_pepper_for
from ground.models import Candidate, Exam, Room
from ground.passwords import hash_pin, new_pin, new_room_token
from scoring.integration import gpa_value
from scoring.presets import normalise_path

COLUMNS = {
    "participant_no": ("participant_no", "no_peserta", "nomor_peserta"),
    "name": ("name", "nama"),
    "birth_date": ("birth_date", "tanggal_lahir", "tgl_lahir"),
    "formation": ("formation", "formasi"),
    "entry_path": ("entry_path", "jalur", "jenis_formasi"),
    "quota": ("formation_quota", "quota", "kuota", "kebutuhan"),
    "gpa": ("gpa", "ipk"),
    "session": ("session", "sesi"),
    "room": ("room", "ruang"),
    "extra_time_min": ("extra_time_min", "extra_minutes", "tambahan_waktu", "tambahan_waktu_menit", "waktu_tambahan"),
    "extra_time_s": ("extra_time_s", "extra_seconds", "tambahan_waktu_detik"),
    "large_text": ("large_text", "teks_besar", "huruf_besar"),
    "high_contrast": ("high_contrast", "kontras_tinggi"),
}
MAX_EXTRA_S = 4 * 3600  # more than four extra hours is a typing error, not an accommodation
YES = ("ya", "y", "yes", "true", "1", "benar")
NO = ("tidak", "t", "no", "n", "false", "0", "")
REQUIRED = ("participant_no", "name", "birth_date", "room")
NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{3,63}$")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,40}$")
PATH_RE = re.compile(r"^[a-z][a-z_]{1,30}$")
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y")


@dataclass(frozen=True)
class Row:
    """One valid candidate line."""

    line: int
    participant_no: str
    name: str
    birth_date: date
    formation: str
    entry_path: str
    session: str
    room: str
    quota: int | None = None
    gpa: float | None = None
    extra_time_s: int = 0
    large_text: bool = False
    high_contrast: bool = False

    @property
    def room_code(self) -> str:
        return f"{self.room}-S{self.session}" if self.session else self.room

    @property
    def room_name(self) -> str:
        return f"{self.room} · Sesi {self.session}" if self.session else self.room


@dataclass(frozen=True)
class Issued:
    """A candidate added by the import and the PIN printed on their card (never stored in clear)."""

    participant_no: str
    name: str
    birth_date: str
    room_code: str
    pin: str


class RosterError(Exception):
    """The file was refused as a whole; ``problems`` are (line, message) pairs to show the committee."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def _text(value: object) -> str:
    return value.date().isoformat() if isinstance(value, datetime) else tables.cell_text(value)


def _key(header: str) -> str:
    return header.strip().lower().replace(" ", "_")


def read_table(path: Path) -> tables.Table:
    """The file through the one CSV/XLSX reader, headers as lower-case keys, rows with their real line numbers."""
    try:
        table = tables.read_table(path)
    except tables.TableError as exc:
        raise RosterError([(0, str(exc))]) from None
    return tables.Table(
        [_key(h) for h in table.header],
        [(line, {_key(h): _text(v) for h, v in row.items()}) for line, row in table.rows],
    )


def _column_map(header: list[str]) -> tuple[dict[str, str], list[tuple[int, str]]]:
    found: dict[str, str] = {}
    for field, names in COLUMNS.items():
        for name in names:
            if name in header:
                found[field] = name
                break
    missing = [f for f in REQUIRED if f not in found]
    problems = [(1, _("Missing column: %(name)s", name=f)) for f in missing]
    return found, problems


def _parse_date(raw: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    return None


def _extra_time(get: dict[str, str], errs: list[str]) -> int:
    """The extra time of a row in seconds, from minutes or seconds (one of them), or 0; a problem otherwise."""
    minutes, seconds = get.get("extra_time_min", ""), get.get("extra_time_s", "")
    if minutes and seconds:
        errs.append(_("extra time is given both in minutes and in seconds: give one"))
        return 0
    raw, unit = (minutes, 60) if minutes else (seconds, 1)
    if not raw:
        return 0
    value = float(raw.replace(",", ".")) if re.fullmatch(r"\d+([.,]0+)?", raw) else -1.0
    if value < 0 or value * unit > MAX_EXTRA_S:
        errs.append(_("extra time '%(v)s' is not a whole number of minutes (or seconds) from 0 to 240 minutes", v=raw))
        return 0
    return int(value) * unit


def _yes_no(get: dict[str, str], field: str, label: str, errs: list[str]) -> bool:
    """An accommodation switch of a row: ya/tidak, yes/no, 1/0 (empty: no); a problem naming the column otherwise."""
    value = get.get(field, "").lower()
    if value in YES:
        return True
    if value not in NO:
        errs.append(_("%(column)s '%(v)s' is not ya/tidak (yes/no)", column=label, v=get.get(field, "")))
    return False


def check(session: Session, exam: Exam, table: tables.Table) -> list[Row]:
    """Every row valid, or RosterError with every problem by line (line 1 is the header)."""
    if not table.rows:
        raise RosterError([(0, _("The file has no candidate rows."))])
    cols, problems = _column_map(table.header)
    if problems:
        raise RosterError(problems)
    existing = set(session.scalars(select(Candidate.participant_no).where(Candidate.exam_id == exam.id)))
    seen: dict[str, int] = {}
    quotas: dict[str, tuple[int, int]] = {}
    rows: list[Row] = []
    for line, raw in table.rows:
        get = {f: (raw.get(c) or "").strip() for f, c in cols.items()}
        number, name = get.get("participant_no", ""), get.get("name", "")
        errs: list[str] = []
        if not NUMBER_RE.match(number):
            errs.append(_("participant number '%(v)s' is not 4-64 letters or digits", v=number))
        elif number in seen:
            errs.append(_("participant number %(v)s repeats line %(line)s", v=number, line=seen[number]))
        elif number in existing:
            errs.append(_("participant number %(v)s is already registered for this exam", v=number))
        if not name or len(name) > 255:
            errs.append(_("name is missing or longer than 255 characters"))
        born = _parse_date(get.get("birth_date", ""))
        if born is None:
            errs.append(_("birth date '%(v)s' is not YYYY-MM-DD or DD-MM-YYYY", v=get.get("birth_date", "")))
        entry_path = normalise_path(get.get("entry_path"))
        if not PATH_RE.match(entry_path):
            errs.append(_("entry path '%(v)s' is not a code like general or cum_laude", v=entry_path))
        room, sess = get.get("room", ""), get.get("session", "")
        if not CODE_RE.match(room) or (sess and not CODE_RE.match(sess)):
            errs.append(_("room '%(room)s' / session '%(session)s' is not a short code", room=room, session=sess))
        if len(get.get("formation", "")) > 255:
            errs.append(_("formation is longer than 255 characters"))
        quota, gpa = _quota(get.get("quota", ""), errs), _gpa(get.get("gpa", ""), errs)
        formation = get.get("formation", "")
        if quota is not None:
            first = quotas.setdefault(formation, (quota, line))
            if first[0] != quota:
                errs.append(_("quota %(v)s differs from %(first)s on line %(line)s for the same formation",
                              v=quota, first=first[0], line=first[1]))
        extra_s = _extra_time(get, errs)
        large = _yes_no(get, "large_text", cols.get("large_text", ""), errs)
        contrast = _yes_no(get, "high_contrast", cols.get("high_contrast", ""), errs)
        seen.setdefault(number, line)
        if errs:
            problems += [(line, e) for e in errs]
            continue
        rows.append(Row(
            line, number, name, born, formation, entry_path, sess, room, quota, gpa,  # type: ignore[arg-type]
            extra_s, large, contrast,
        ))
    problems += _capacity_problems(session, rows)
    if problems:
        raise RosterError(sorted(problems))
    return rows


def _quota(raw: str, errs: list[str]) -> int | None:
    """The formation's quota: a whole number ≥ 0 ("3" or "3.0" from a spreadsheet); empty is unknown."""
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0 or value != int(value) or value > 100_000:
        errs.append(_("quota '%(v)s' is not a whole number of places", v=raw))
        return None
    return int(value)


def _gpa(raw: str, errs: list[str]) -> float | None:
    """GPA (IPK); empty is unknown (ranks last on a tie)."""
    try:
        return gpa_value(raw)
    except ValueError:
        errs.append(_("GPA '%(v)s' is not a number from 0 to 4", v=raw))
        return None


def _capacity_problems(session: Session, rows: list[Row]) -> list[tuple[int, str]]:
    problems = []
    wanted: dict[str, list[Row]] = {}
    for r in rows:
        wanted.setdefault(r.room_code, []).append(r)
    for code, members in wanted.items():
        room = session.scalar(select(Room).where(Room.code == code))
        if room is None or room.capacity is None:
            continue
        seated = session.scalar(select(func.count()).select_from(Candidate).where(Candidate.room_id == room.id)) or 0
        if seated + len(members) > room.capacity:
            problems.append((members[room.capacity - seated if room.capacity > seated else 0].line, _(
                "room %(code)s holds %(cap)s; it would get %(n)s", code=code, cap=room.capacity, n=seated + len(members)
            )))
    return problems


def add(session: Session, exam: Exam, rows: list[Row], *, actor: str = "system") -> list[Issued]:
    """Create missing rooms (closed, with a token) and the candidates with new PINs; returns the PINs for the cards."""
    rooms: dict[str, Room] = {}
    for r in rows:
        if r.room_code in rooms:
            continue
        room = session.scalar(select(Room).where(Room.code == r.room_code))
        if room is None:
            room = Room(exam_id=exam.id, code=r.room_code, name=r.room_name, token=new_room_token(), is_open=False)
            session.add(room)
            session.flush()
            audit.record(session, "room.created", actor=actor, exam_id=exam.id, room_id=room.id, code=room.code)
        elif room.exam_id != exam.id:
            raise RosterError([(r.line, _("room %(code)s belongs to another exam", code=r.room_code))])
        rooms[r.room_code] = room
    pins = [new_pin() for _r in rows]
    pepper = pin_pepper_for(session)
    issued = []
    for r, pin in zip(rows, pins, strict=True):
        session.add(Candidate(
            exam_id=exam.id, room_id=rooms[r.room_code].id, participant_no=r.participant_no, name=r.name,
            birth_date=r.birth_date, formation=r.formation, formation_quota=r.quota, gpa=r.gpa,
            entry_path=r.entry_path, pin_hash=hash_pin(pin, pepper),
            extra={"session": r.session, "room": r.room}, extra_time_s=r.extra_time_s, large_text=r.large_text,
            high_contrast=r.high_contrast,
        ))
        issued.append(Issued(r.participant_no, r.name, r.birth_date.isoformat(), r.room_code, pin))
    session.flush()
    audit.record(session, "candidates.imported", actor=actor, exam_id=exam.id, count=len(rows), rooms=sorted(rooms))
    return issued


PIN_FIELDS = ("participant_no", "name", "birth_date", "room_code", "pin")


def write_pins(path: Path, issued: list[Issued]) -> None:
    """The PIN list for printing cards: readable by its owner only; delete it once the cards are printed."""
    out = io.StringIO()
    w = csv_writer(out)
    w.writerow(PIN_FIELDS)
    for i in issued:
        w.writerow([i.participant_no, i.name, i.birth_date, i.room_code, i.pin])
    write_private(path, out.getvalue().encode())


def read_pins(path: Path) -> list[Issued]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != PIN_FIELDS:
            raise RosterError([(1, _("Not a PIN list written by 'candidates import'."))])
        return [Issued(**{k: restore_cell(row[k]) for k in PIN_FIELDS}) for row in reader]
