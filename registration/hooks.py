"""What the registration portal hands the top: the applicant's and the verifiers' pages, ``recruitment …``."""

from __future__ import annotations

import click
from flask import Flask

from ground.runtime import Runtime
from registration.cli import COMMANDS
from registration.web.portal import bp as portal_bp
from registration.web.verification import bp as verification_bp


def init_app(app: Flask, rt: Runtime) -> None:
    """The portal under /daftar and the verifiers' queue under /verifikasi."""
    app.register_blueprint(portal_bp)
    app.register_blueprint(verification_bp)


def register_commands(group: click.Group) -> None:
    """``recruitment create|formation|document|export``."""
    for command in COMMANDS:
        group.add_command(command)
