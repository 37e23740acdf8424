"""``exam-engine assessment …``: the console's functions from the command line (programme, staff import, sitting,
a person's report, a unit's report)."""

from __future__ import annotations

from pathlib import Path

import click

from assessment import programmes, reports, sittings, staff
from ground import tables, zones
from ground.cli_state import CliState, cli_actor, pass_state
from ground.crypto import load_master_key, load_signing_key
from ground.i18n import _
from proctor import roster


@click.group("assessment")
def assessment_cmd() -> None:
    """Periodic competency assessments of serving staff."""


@assessment_cmd.command("create")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--blueprint", required=True, help="A shipped blueprint, e.g. skd_demo.")
@click.option("--competency", "comps", multiple=True, required=True,
              help="'CODE; name; subtest; standard' (repeatable), e.g. 'TEK; Teknis; TIU; 30'.")
@click.option("--units", default="", help="Target units, comma-separated (empty: every unit).")
@click.option("--positions", default="", help="Target positions, comma-separated (empty: every position).")
@click.option("--period-months", type=int, default=12, help="Reassessment period.")
@click.option("--practice", is_flag=True, help="A tryout: no ranking, review with explanations after finishing.")
@pass_state
def create_cmd(state: CliState, code: str, name: str, blueprint: str, comps: tuple[str, ...], units: str,
               positions: str, period_months: int, practice: bool) -> None:
    """Define a programme."""
    state.init_db()
    with state.session() as s:
        programmes.create(s, code=code, name=name, blueprint=blueprint, competencies_text="\n".join(comps),
                          units=units, positions=positions, period_months=period_months, practice=practice,
                          actor=cli_actor())
    click.echo(_("Programme %(code)s created.", code=code))


@assessment_cmd.command("import")
@click.argument("programme")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_state
def import_cmd(state: CliState, programme: str, path: Path) -> None:
    """Serving staff from a CSV/XLSX (nip, name, unit, position), invited; refused whole with a reason per line."""
    try:
        rows = staff.check(tables.read_table(path))
    except staff.StaffImportError as err:
        raise click.ClickException("\n".join(_("line %(n)s: %(msg)s", n=n, msg=m) for n, m in err.problems)) from None
    with state.session() as s:
        n = staff.import_rows(s, programmes.by_code(s, programme), rows, cli_actor())
    click.echo(_("%(rows)s staff read, %(n)s newly invited.", rows=len(rows), n=n))


@assessment_cmd.command("sitting")
@click.argument("programme")
@click.argument("exam_code")
@click.option("--room", required=True, help="Room code (made when missing).")
@click.option("--pins", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the PIN list (owner-only) for 'exam-engine cards'.")
@pass_state
def sitting_cmd(state: CliState, programme: str, exam_code: str, room: str, pins: Path) -> None:
    """A sitting: the exam made from the programme's blueprint, every invited staff member a candidate."""
    with state.session() as s:
        _exam, issued = sittings.create(s, programmes.by_code(s, programme), exam_code, room,
                                        load_master_key(state.config.data_dir), zone=state.config.site_zone,
                                        actor=cli_actor())
    roster.write_pins(pins, issued)
    click.echo(_("%(n)s candidates added; PIN list in %(path)s.", n=len(issued), path=pins))


@assessment_cmd.command("report")
@click.argument("programme")
@click.option("--unit", default="", help="One unit (empty: every unit).")
@click.option("--format", "fmt", type=click.Choice(reports.FORMATS), default="pdf")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@pass_state
def report_cmd(state: CliState, programme: str, unit: str, fmt: str, out: Path) -> None:
    """A unit's report, signed (its .sig beside it)."""
    with state.session() as s:
        reports.write_unit(s, programmes.by_code(s, programme), unit, fmt, out,
                           load_signing_key(state.config.data_dir), zone=state.config.site_zone or zones.DEFAULT_ZONE,
                           actor=cli_actor())
    click.echo(_("Report written to %(path)s (signed).", path=out))


COMMANDS = (assessment_cmd,)
