"""``exam-engine staff …``, ``room …``, ``candidates import`` and ``cards``: the committee's set-up before exam day."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import func, select

from candidate.exams import get_exam
from ground import clock, db, zones
from ground.cli_state import CliState, cli_actor, pass_state
from ground.config import write_private
from ground.i18n import _
from ground.models import Candidate, Room
from ground.models.staff import STAFF_ROLES, RoomAssignment, StaffUser
from ground.staff import accounts as staff_service
from proctor import exam_sessions, roster
from proctor.attendance import attendance_pdf
from proctor.cards import room_cards
from proctor.moves import move_candidate
from proctor.rooms import add_room


def _not_imported(err: roster.RosterError) -> click.ClickException:
    lines = [_("Nothing was imported. Problems:")]
    lines += [f"  {_('line')} {line}: {msg}" if line else f"  {msg}" for line, msg in err.problems]
    return click.ClickException("\n".join(lines))


# --- staff -------------------------------------------------------------------------------------------------------


@click.group("staff")
def staff_cmd() -> None:
    """Staff accounts: admin, committee, proctor."""


@staff_cmd.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(STAFF_ROLES), required=True)
@click.option("--name", "display_name", default="", help="Name shown on the dashboard.")
@click.option("--room", "rooms", multiple=True, help="Room code to assign (proctors; repeatable).")
@click.password_option(help="Asked twice when not given (at least 10 characters).")
@pass_state
def staff_add(
    state: CliState, username: str, role: str, display_name: str, rooms: tuple[str, ...], password: str
) -> None:
    """Add a staff account (the password is stored as an argon2 hash)."""
    state.init_db()
    with state.session() as s:
        user = staff_service.create_staff(s, username, password, role, display_name=display_name, actor="cli")
        for code in rooms:
            staff_service.assign(s, user.username, code, actor="cli")
        name = user.username
    click.echo(_("Added %(role)s %(name)s.", role=role, name=name))


@staff_cmd.command("assign")
@click.argument("username")
@click.argument("room_codes", nargs=-1, required=True)
@pass_state
def staff_assign(state: CliState, username: str, room_codes: tuple[str, ...]) -> None:
    """Assign rooms to a proctor (they see only these on the dashboard)."""
    with state.session() as s:
        for code in room_codes:
            staff_service.assign(s, username, code, actor="cli")
    click.echo(_("Assigned %(rooms)s to %(name)s.", rooms=", ".join(room_codes), name=username))


@staff_cmd.command("unassign")
@click.argument("username")
@click.argument("room_codes", nargs=-1, required=True)
@pass_state
def staff_unassign(state: CliState, username: str, room_codes: tuple[str, ...]) -> None:
    """Take rooms away from a proctor (their open dashboards of those rooms close on the next action)."""
    with state.session() as s:
        for code in room_codes:
            staff_service.unassign(s, username, code, actor=cli_actor())
    click.echo(_("Took %(rooms)s from %(name)s.", rooms=", ".join(room_codes), name=username))


@staff_cmd.command("password")
@click.argument("username")
@click.password_option()
@pass_state
def staff_password(state: CliState, username: str, password: str) -> None:
    """Set a new password (every session of the account ends)."""
    with state.session() as s:
        staff_service.set_password(s, username, password, actor="cli")
    click.echo(_("Password changed for %(name)s.", name=username))


@staff_cmd.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@pass_state
def staff_disable(state: CliState, username: str, enable: bool) -> None:
    """Disable an account: it can no longer sign in, its sign-ins end and its open dashboards close at once."""
    with state.session() as s:
        staff_service.set_active(s, username, enable, actor="cli")
    click.echo(_("%(name)s is enabled.", name=username) if enable else _("%(name)s is disabled.", name=username))


@staff_cmd.command("list")
@pass_state
def staff_list(state: CliState) -> None:
    """Every staff account with its role and rooms."""
    with db.session_scope(state.db_url) as s:
        for user in s.scalars(select(StaffUser).order_by(StaffUser.username)):
            codes = s.scalars(
                select(Room.code).join(RoomAssignment, RoomAssignment.room_id == Room.id)
                .where(RoomAssignment.staff_id == user.id).order_by(Room.code)
            )
            state_word = "" if user.active else " (inactive)"
            click.echo(f"{user.username:<20} {user.role:<10} {', '.join(codes)}{state_word}")


# --- rooms -------------------------------------------------------------------------------------------------------


@click.group("room")
def room_cmd() -> None:
    """Rooms and sessions (sesi): schedule, capacity, token."""


@room_cmd.command("add")
@click.argument("code")
@click.option("--exam", "exam_code", required=True)
@click.option("--name", default="")
@click.option("--capacity", type=click.IntRange(1, 100_000), default=None)
@click.option("--start", default=None, help="Scheduled start, ISO-8601 with zone (2026-12-01T08:00+07:00).")
@click.option("--zone", type=click.Choice(list(zones.ZONES)), default=None,
              help="The site's time zone, in which the room's times are shown (default: EXAM_SITE_ZONE, WIB).")
@click.option("--session", "session_code", default=None,
              help="The exam session (sesi) the room belongs to: its start and zone are the session's.")
@pass_state
def room_add(state: CliState, code: str, exam_code: str, name: str, capacity: int | None, start: str | None,
             zone: str | None, session_code: str | None) -> None:
    """Add a room (closed for login, with a token) to an exam, or to one of its sessions."""
    when = None
    if start:
        try:
            when = datetime.fromisoformat(start)
        except ValueError:
            raise click.ClickException(_("--start must be ISO-8601, e.g. 2026-12-01T08:00+07:00.")) from None
        if when.tzinfo is None:
            raise click.ClickException(_("--start needs a time zone, e.g. +07:00 for WIB."))
        when = when.astimezone(UTC)
    state.init_db()
    with state.session() as s:
        exam = get_exam(s, exam_code)
        sitting = exam_sessions.get_session(s, exam, session_code) if session_code else None
        add_room(s, exam, code, name=name, capacity=capacity, start=when, zone=zone or state.config.site_zone,
                 actor=cli_actor(), exam_session=sitting)
    click.echo(_("Added room %(code)s.", code=code))


@click.group("session")
def session_cmd() -> None:
    """An exam's sessions (sesi): a start at a site in its zone; open and close them."""


@session_cmd.command("add")
@click.argument("code")
@click.option("--exam", "exam_code", required=True)
@click.option("--site", required=True, help="The site (lokasi) where the session's rooms are.")
@click.option("--zone", type=click.Choice(list(zones.ZONES)), default=None,
              help="The site's time zone (default: EXAM_SITE_ZONE, WIB).")
@click.option("--start", required=True, help="The start, in the site's local time (2026-12-01T08:00).")
@click.option("--label", default="")
@pass_state
def session_add(state: CliState, code: str, exam_code: str, site: str, zone: str | None, start: str,
                label: str) -> None:
    """Schedule a session of an exam."""
    zone = zone or state.config.site_zone
    try:
        when = zones.parse_local(start, zone)
    except ValueError:
        raise click.ClickException(_("The start is a date and time, e.g. 2026-12-01 08:00.")) from None
    state.init_db()
    with state.session() as s:
        exam_sessions.add_session(s, get_exam(s, exam_code), code, site=site, zone=zone, start=when, label=label,
                                  actor=cli_actor())
    click.echo(_("Added session %(code)s.", code=code))


@session_cmd.command("open")
@click.argument("code")
@click.option("--exam", "exam_code", required=True)
@pass_state
def session_open(state: CliState, code: str, exam_code: str) -> None:
    """Open a session: the exam key is released (once per exam) and its rooms open for login."""
    state.init_db()
    with state.session() as s:
        exam_sessions.open_session(s, get_exam(s, exam_code), code, actor=cli_actor())
    click.echo(_("Session %(code)s is open: its candidates can log in.", code=code))


@session_cmd.command("close")
@click.argument("code")
@click.option("--exam", "exam_code", required=True)
@pass_state
def session_close(state: CliState, code: str, exam_code: str) -> None:
    """Close a session: no new sign-ins in its rooms."""
    state.init_db()
    with state.session() as s:
        exam_sessions.close_session(s, get_exam(s, exam_code), code, actor=cli_actor())
    click.echo(_("Session %(code)s is closed.", code=code))


@session_cmd.command("list")
@click.option("--exam", "exam_code", required=True)
@pass_state
def session_list(state: CliState, exam_code: str) -> None:
    """An exam's sessions: start in the site's zone, site, state, rooms."""
    state.init_db()
    with state.session() as s:
        exam = get_exam(s, exam_code)
        for row in exam_sessions.sessions(s, exam):
            rooms = ",".join(r.code for r in exam_sessions.rooms_of(s, row)) or "-"
            click.echo(f"{row.code}\t{zones.local(row.starts_at, row.zone)}\t{row.site}\t{row.state}\t{rooms}")


@room_cmd.command("list")
@pass_state
def room_list(state: CliState) -> None:
    """Rooms with their exam, schedule, seats and state."""
    with db.session_scope(state.db_url) as s:
        for room in s.scalars(select(Room).order_by(Room.code)):
            n = s.scalar(select(func.count()).select_from(Candidate).where(Candidate.room_id == room.id))
            start = clock.isoformat(room.scheduled_start) if room.scheduled_start else "-"
            flags = ("open" if room.is_open else "closed") + (", paused" if room.paused_at else "")
            click.echo(f"{room.code:<16} {room.exam.code:<12} {start:<26} {n}/{room.capacity or '-'}  {flags}")


# --- candidates and cards ----------------------------------------------------------------------------------------


@click.group("candidates")
def candidates_cmd() -> None:
    """Candidates from the registration system."""


@candidates_cmd.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--exam", "exam_code", required=True)
@click.option("--pins-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the new PINs for the cards (default: DATA_DIR/pins-EXAM-TIME.csv, owner-only).")
@click.option("--issue-papers", is_flag=True, help="Also assemble and seal each new candidate's paper.")
@pass_state
def candidates_import(state: CliState, file: Path, exam_code: str, pins_out: Path | None, issue_papers: bool) -> None:
    """Import FILE.csv or FILE.xlsx whole: every row is checked first; on any problem nothing is imported."""
    state.init_db()
    try:
        table = roster.read_table(file)
        with state.session() as s:
            exam = get_exam(s, exam_code)
            rows = roster.check(s, exam, table)
            issued = roster.add(s, exam, rows, actor="cli")
            papers = 0
            if issue_papers:
                from candidate.papers import issue_papers as issue
                from ground.crypto import load_master_key

                people = s.scalars(select(Candidate).where(
                    Candidate.exam_id == exam.id, Candidate.participant_no.in_([i.participant_no for i in issued])
                ))
                papers = issue(s, exam, load_master_key(state.config.data_dir), people)
            target = pins_out or state.config.data_dir / f"pins-{exam.code}-{clock.now():%Y%m%dT%H%M%S}.csv"
            roster.write_pins(target, issued)  # inside the transaction: no PIN file, no candidates
    except roster.RosterError as err:
        raise _not_imported(err) from None
    rooms = sorted({i.room_code for i in issued})
    click.echo(_("Imported %(n)s candidates into %(r)s rooms (%(rooms)s).", n=len(issued), r=len(rooms),
                 rooms=", ".join(rooms)))
    if issue_papers:
        click.echo(_("Issued %(n)s papers.", n=papers))
    click.echo(_("PINs for the login cards: %(path)s (print the cards, then delete this file).", path=target))


@candidates_cmd.command("move")
@click.argument("participant_no")
@click.option("--exam", "exam_code", required=True)
@click.option("--room", "room_code", required=True, help="The room (and session) the candidate moves to.")
@click.option("--reason", required=True, help="Why (goes into the audit log).")
@pass_state
def candidates_move(state: CliState, participant_no: str, exam_code: str, room_code: str, reason: str) -> None:
    """Seat candidate PARTICIPANT_NO in another room or session of the exam (before their paper starts)."""
    with state.session() as s:
        move_candidate(s, get_exam(s, exam_code), participant_no, room_code, reason, actor=cli_actor())
    click.echo(_("%(no)s now sits in room %(code)s.", no=participant_no, code=room_code))


@click.command("cards")
@click.argument("pins", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@pass_state
def cards_cmd(state: CliState, pins: Path, out_dir: Path) -> None:
    """Login cards (PDF, one file per room) from the PIN list that 'candidates import' wrote."""
    try:
        people = roster.read_pins(pins)
    except roster.RosterError as err:
        raise _not_imported(err) from None
    by_room: dict[str, list[roster.Issued]] = {}
    for p in people:
        by_room.setdefault(p.room_code, []).append(p)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # the cards carry PINs
    with state.session() as s:
        for code, members in sorted(by_room.items()):
            path = out_dir / f"kartu-{re.sub(r'[^A-Za-z0-9._-]', '_', code)}.pdf"
            write_private(path, room_cards(s, code, members))
            click.echo(_("%(n)s cards: %(path)s", n=len(members), path=path))


@click.command("attendance")
@click.argument("room_code")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_state
def attendance_cmd(state: CliState, room_code: str, out: Path) -> None:
    """The attendance list (daftar hadir) of room ROOM_CODE as a PDF: photo check and a column to sign."""
    with state.session() as s:
        write_private(out, attendance_pdf(s, staff_service.room_by_code(s, room_code)))
    click.echo(_("Attendance list: %(path)s", path=out))


COMMANDS = (staff_cmd, room_cmd, session_cmd, candidates_cmd, cards_cmd, attendance_cmd)
