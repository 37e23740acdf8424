"""``exam-engine recruitment …``: the committee defines a recruitment and sends its eligible applicants to an exam."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from candidate.exams import get_exam
from ground import clock
from ground.cli_state import CliState, cli_actor, pass_state
from ground.config import write_private
from ground.crypto import load_signing_key
from ground.i18n import _
from proctor import roster
from registration import announcements, export, recruitments, retention
from registration.recruitments import KINDS


def _when(value: str) -> datetime:
    """An ISO time with its zone (2026-12-01T08:00+07:00): the portal's period must not depend on the server's."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("Use an ISO time such as 2026-12-01T08:00+07:00.")) from None
    if parsed.tzinfo is None:
        raise click.BadParameter(_("Use an ISO time such as 2026-12-01T08:00+07:00."))
    return parsed


@click.group("recruitment")
def recruitment_cmd() -> None:
    """Recruitments: the period, formations, required documents, announcements, export to an exam."""


@recruitment_cmd.command("create")
@click.argument("code")
@click.option("--name", default="", help="Title shown to applicants.")
@click.option("--opens", required=True, help="Registration opens (ISO time with zone).")
@click.option("--closes", required=True, help="Registration closes (ISO time with zone).")
@click.option("--retain-until", "retain", default=None,
              help="Applicants' personal data are erased after (ISO time with zone; 'recruitment expire').")
@pass_state
def create_cmd(state: CliState, code: str, name: str, opens: str, closes: str, retain: str | None) -> None:
    """Add a recruitment."""
    state.init_db()
    with state.session() as s:
        recruitments.create(s, code, name, _when(opens), _when(closes), actor=cli_actor(),
                            retain_until=_when(retain) if retain else None)
    click.echo(_("Recruitment %(code)s created.", code=code))


@recruitment_cmd.command("edit")
@click.argument("code")
@click.option("--name", default=None)
@click.option("--opens", default=None, help="Registration opens (ISO time with zone).")
@click.option("--closes", default=None, help="Registration closes (ISO time with zone).")
@click.option("--retain-until", "retain", default=None, help="Applicants' personal data are erased after.")
@pass_state
def edit_cmd(state: CliState, code: str, name: str | None, opens: str | None, closes: str | None,
             retain: str | None) -> None:
    """Change a recruitment's title, period or retention date."""
    with state.session() as s:
        recruitments.edit(s, code, name=name, opens_at=_when(opens) if opens else None,
                          closes_at=_when(closes) if closes else None,
                          retain_until=_when(retain) if retain else None, actor=cli_actor())
    click.echo(_("Recruitment %(code)s changed.", code=code))


@recruitment_cmd.command("formation")
@click.argument("recruitment")
@click.argument("code")
@click.option("--name", default="")
@click.option("--quota", type=int, required=True)
@click.option("--education", default="", help="Education required, e.g. 'S1 Teknik Informatika'.")
@click.option("--path", "paths", multiple=True, help="Entry path (repeatable): general, cum_laude, disability…")
@click.option("--update", is_flag=True, help="Change the formation if it exists.")
@pass_state
def formation_cmd(state: CliState, recruitment: str, code: str, name: str, quota: int, education: str,
                  paths: tuple[str, ...], update: bool) -> None:
    """Add (or with --update change) a formation with its quota, education requirement and entry paths."""
    with state.session() as s:
        recruitments.add_formation(s, recruitment, code, name, quota, education, list(paths), actor=cli_actor(),
                                   replace=update)
    click.echo(_("Formation %(code)s added.", code=code))


@recruitment_cmd.command("document")
@click.argument("recruitment")
@click.argument("code")
@click.option("--name", default="")
@click.option("--type", "kinds", multiple=True, type=click.Choice(sorted(KINDS)), required=True)
@click.option("--max-kb", type=int, required=True, help="Size limit in KB.")
@pass_state
def document_cmd(state: CliState, recruitment: str, code: str, name: str, kinds: tuple[str, ...], max_kb: int) -> None:
    """Add a document every applicant uploads (PDF and/or JPEG, size-capped)."""
    with state.session() as s:
        recruitments.add_requirement(s, recruitment, code, name, list(kinds), max_kb * 1024, actor=cli_actor())
    click.echo(_("Document %(code)s added.", code=code))


@recruitment_cmd.command("export")
@click.argument("recruitment")
@click.option("--exam", "exam_code", required=True)
@click.option("--room", "rooms", multiple=True,
              help="Room code (as in 'candidates import'); repeated: existing rooms filled by capacity in order.")
@click.option("--by-site", is_flag=True,
              help="Seat everyone in the exam's sessions instead: each applicant at the preferred site, by capacity.")
@click.option("--session", "sitting", default="", help="Session number.")
@click.option("--pins", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the PIN list (owner-only) for 'exam-engine cards'.")
@pass_state
def export_cmd(state: CliState, recruitment: str, exam_code: str, rooms: tuple[str, ...], by_site: bool, sitting: str,
               pins: Path) -> None:
    """The eligible (MS) applicants not yet exported become candidates of the exam, with new PINs."""
    if bool(rooms) == by_site:
        raise click.UsageError(_("Give either --room or --by-site."))
    try:
        with state.session() as s:
            room: str | list[str] | None = None if by_site else rooms[0] if len(rooms) == 1 else list(rooms)
            issued = export.export_eligible(s, recruitment, get_exam(s, exam_code), room, sitting, actor=cli_actor())
    except roster.RosterError as err:
        raise click.ClickException("\n".join(msg for _line, msg in err.problems)) from None
    if issued:
        roster.write_pins(pins, issued)
    click.echo(_("%(n)s candidates added; PIN list in %(path)s.", n=len(issued), path=pins))


@recruitment_cmd.command("announce")
@click.argument("recruitment")
@click.option("--stage", type=click.Choice(["result", "final"]), required=True,
              help="result: the MS/TMS list, opening the objection window; final: the eligible after it.")
@click.option("--objections-until", "until", default=None, help="End of the objection window (ISO time with zone).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="A folder to copy the signed CSV and PDF (with their .sig) to.")
@pass_state
def announce_cmd(state: CliState, recruitment: str, stage: str, until: str | None, out: Path | None) -> None:
    """Announce the administrative selection, signed like every announcement (``exam-engine verify`` checks it) and
    published on the portal's announcement page (/daftar/pengumuman)."""
    data_dir = state.config.data_dir
    key = load_signing_key(data_dir)
    with state.session() as s:
        if stage == "result":
            if until is None:
                raise click.UsageError(_("The result needs --objections-until."))
            n = announcements.announce_result(s, recruitment, data_dir, _when(until), key, actor=cli_actor())
        else:
            n = announcements.announce_final(s, recruitment, data_dir, key, actor=cli_actor())
    path = announcements.published(data_dir, recruitment, stage, "csv")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for ext in ("csv", "csv.sig", "pdf", "pdf.sig"):
            src = announcements.published(data_dir, recruitment, stage, ext)
            write_private(out / src.name, src.read_bytes())
        path = out / path.name
    click.echo(_("%(n)s applicants listed in %(path)s (signed).", n=n, path=path))


@recruitment_cmd.command("purge")
@click.argument("recruitment")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def purge_cmd(state: CliState, recruitment: str, yes: bool) -> None:
    """After the final list: delete the recruitment's uploaded documents and objections (numbers and results stay)."""
    if not yes:
        click.confirm(_("Delete every document and objection of %(code)s?", code=recruitment), abort=True)
    with state.session() as s:
        counts = retention.purge(s, recruitment, actor=cli_actor())
    click.echo(_("Deleted %(documents)s documents (%(files)s files) and %(objections)s objections.", **counts))


@recruitment_cmd.command("expire")
@click.argument("recruitment")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def expire_cmd(state: CliState, recruitment: str, yes: bool) -> None:
    """Past the retention date: erase the recruitment's applicants' personal data (numbers and results stay)."""
    if not yes:
        click.confirm(_("Erase the personal data of every applicant of %(code)s?", code=recruitment), abort=True)
    with state.session() as s:
        counts = retention.expire(s, recruitment, actor=cli_actor())
    click.echo(_("Erased %(people)s people; deleted %(documents)s documents and %(objections)s objections.",
                 **counts))


@recruitment_cmd.command("erasures")
@pass_state
def erasures_cmd(state: CliState) -> None:
    """The erasure requests waiting for the committee: person id, when asked, registration numbers."""
    with state.session() as s:
        rows = retention.requests(s)
    for row in rows:
        click.echo(f"{row['person_id']}\t{clock.isoformat(row['requested_at'])}\t{' '.join(row['numbers'])}")


@recruitment_cmd.command("erase")
@click.argument("person_id", type=int)
@pass_state
def erase_cmd(state: CliState, person_id: int) -> None:
    """Carry out a person's erasure request (see ``recruitment erasures``)."""
    with state.session() as s:
        counts = retention.erase(s, person_id, actor=cli_actor())
    click.echo(_("Erased: %(documents)s documents, %(objections)s objections.", **counts))


COMMANDS = (recruitment_cmd,)
