"""The ``exam-engine`` command: one click group; each package contributes its own sub-commands."""

from __future__ import annotations

from pathlib import Path

import click

from exam_engine.packages import hooks
from ground.cli_state import CliState, data_dir_option, pass_state
from ground.config import Config


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
    """Attach the sub-commands: the top's own (serve, demo), then each package's through its hook."""
    from exam_engine.cli_serve import demo_cmd, serve_cmd

    for command in (serve_cmd, demo_cmd):
        main.add_command(command)
    for register_commands in hooks("register_commands"):
        register_commands(main)


_register()
