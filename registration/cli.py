"""``exam-engine recruitment …``: the committee defines a recruitment and sends its eligible applicants to an exam."""

from __future__ import annotations

from datetime import datetime

import click

from ground.cli_state import CliState, cli_actor, pass_state
from ground.i18n import _
from registration import recruitments
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
    """Recruitments: the registration period, formations, required documents."""


@recruitment_cmd.command("create")
@click.argument("code")
@click.option("--name", default="", help="Title shown to applicants.")
@click.option("--opens", required=True, help="Registration opens (ISO time with zone).")
@click.option("--closes", required=True, help="Registration closes (ISO time with zone).")
@pass_state
def create_cmd(state: CliState, code: str, name: str, opens: str, closes: str) -> None:
    """Add a recruitment."""
    state.init_db()
    with state.session() as s:
        recruitments.create(s, code, name, _when(opens), _when(closes), actor=cli_actor())
    click.echo(_("Recruitment %(code)s created.", code=code))


@recruitment_cmd.command("formation")
@click.argument("recruitment")
@click.argument("code")
@click.option("--name", default="")
@click.option("--quota", type=int, required=True)
@click.option("--education", default="", help="Education required, e.g. 'S1 Teknik Informatika'.")
@click.option("--path", "paths", multiple=True, help="Entry path (repeatable): general, cum_laude, disability…")
@pass_state
def formation_cmd(state: CliState, recruitment: str, code: str, name: str, quota: int, education: str,
                  paths: tuple[str, ...]) -> None:
    """Add a formation with its quota, education requirement and entry paths."""
    with state.session() as s:
        recruitments.add_formation(s, recruitment, code, name, quota, education, list(paths), actor=cli_actor())
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


COMMANDS = (recruitment_cmd,)
