"""What every ``exam-engine`` sub-command shares: the installation's config, its database, ``--data-dir``."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
from sqlalchemy.orm import Session

from ground import db
from ground.config import Config
from ground.errors import AppError
from ground.keyfiles import init_keys


@dataclass
class CliState:
    """What every sub-command needs: the installation's config and database URL."""

    config: Config

    @property
    def db_url(self) -> str:
        """The installation's database URL (SQLite in the data folder unless EXAM_DATABASE_URL says otherwise)."""
        return self.config.sqlalchemy_url

    def init_db(self) -> str:
        """Create the data folder and its keys (init_keys makes the folder private), and bring the schema up to date."""
        self.init_keys()
        db.upgrade(self.db_url)
        return self.db_url

    def init_keys(self) -> None:
        """Every key (master, signing, secret) made now, atomically: ``serve`` then only reads them."""
        init_keys(self.config)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction on the installation's database; a refusal (AppError) becomes the command's error."""
        try:
            with db.session_scope(self.db_url) as s:
                yield s
        except AppError as err:
            raise refused(err) from None


def refused(err: AppError) -> click.ClickException:
    """A service's refusal as a command's error: its message, then each problem it lists."""
    lines = [err.message, *[f"  - {p}" for p in err.details.get("problems", [])]]
    return click.ClickException("\n".join(lines))


pass_state = click.make_pass_decorator(CliState)


def use_data_dir(ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    """Point the command at another installation folder when ``--data-dir`` follows the sub-command."""
    if value is not None:
        ctx.ensure_object(CliState).config = Config(data_dir=value)
    return value


def data_dir_option(command):  # type: ignore[no-untyped-def]
    """``--data-dir`` after the sub-command too (``exam-engine demo --data-dir DIR``), overriding the group's."""
    return click.option(
        "--data-dir", "_data_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        expose_value=False, is_eager=True, callback=use_data_dir, help="Installation folder (as before the command).",
    )(command)


def cli_actor() -> str:
    """The audit log's name for whoever runs a command (the OS account)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
