"""The ``exam-engine`` command: one click group; each package contributes its own sub-commands."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from exam_engine import db
from exam_engine.config import Config


@dataclass
class CliState:
    """What every sub-command needs: the installation's config and database URL."""

    config: Config

    @property
    def db_url(self) -> str:
        """The installation's database URL (SQLite in the data folder unless EXAM_DATABASE_URL says otherwise)."""
        return self.config.sqlalchemy_url

    def init_db(self) -> str:
        """Create the data folder and bring the database schema up to date."""
        self.config.ensure_data_dir()
        db.upgrade(self.db_url)
        return self.db_url


pass_state = click.make_pass_decorator(CliState)


def _use_data_dir(ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None:
        ctx.ensure_object(CliState).config = Config(data_dir=value)
    return value


def data_dir_option(command):  # type: ignore[no-untyped-def]
    """``--data-dir`` after the sub-command too (``exam-engine demo --data-dir DIR``), overriding the group's."""
    return click.option(
        "--data-dir", "_data_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        expose_value=False, is_eager=True, callback=_use_data_dir, help="Installation folder (as before the command).",
    )(command)


@click.group()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="EXAM_DATA_DIR",
    default=None,
    help="Installation folder (database, keys). Default: EXAM_DATA_DIR or ./instance.",
)
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None) -> None:
    """exam-engine: computer-based selection exams."""
    config = Config(data_dir=data_dir) if data_dir is not None else Config()
    ctx.obj = CliState(config)


@main.command("init")
@data_dir_option
@pass_state
def init_cmd(state: CliState) -> None:
    """Create the data folder and apply every database migration."""
    url = state.init_db()
    click.echo(f"database ready: {url}")


def _register() -> None:
    """Attach the sub-commands that live in other modules: each package owns its commands."""
    from exam_engine.cli_exam import exam_cmd  # exam create/check/issue/open/list
    from exam_engine.cli_serve import demo_cmd, serve_cmd
    from proctor.cli import register as register_proctor  # staff, room, candidates, cards
    from question_bank.cli import bank_cmd  # exam-engine bank …
    from scoring.analysis.cli import analysis_cmd  # item analysis
    from scoring.cli import register as register_scoring  # rank, results, verify, onboarding

    for command in (serve_cmd, demo_cmd, exam_cmd, bank_cmd, analysis_cmd):
        main.add_command(command)
    register_scoring(main)
    register_proctor(main)


_register()
