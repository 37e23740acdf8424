"""What the registration portal hands the top: the applicant's pages and ``recruitment …``."""

from __future__ import annotations

import click
from flask import Flask

from ground.runtime import Runtime
from registration.cli import COMMANDS
from registration.web.portal import bp as portal_bp


def init_app(app: Flask, rt: Runtime) -> None:
    """The portal under /daftar."""
    app.register_blueprint(portal_bp)


def register_commands(group: click.Group) -> None:
    """``recruitment create|formation|document``."""
    for command in COMMANDS:
        group.add_command(command)
