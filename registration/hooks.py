"""What the registration portal hands the top: the applicant's and the verifiers' pages, ``recruitment …``."""

from __future__ import annotations

import click
from flask import Flask

from ground.i18n import lazy_gettext
from ground.runtime import Runtime
from ground.staff import nav
from registration.cli import COMMANDS
from registration.web.portal import bp as portal_bp
from registration.web.verification import ROLES as VERIFICATION_ROLES
from registration.web.verification import bp as verification_bp


def init_app(app: Flask, rt: Runtime) -> None:
    """The portal under /daftar; the verifiers' queue under /verifikasi (their home, in the console's navigation)."""
    app.register_blueprint(portal_bp)
    app.register_blueprint(verification_bp)
    nav.add_entry(app, "selection", lazy_gettext("Administrative selection"), "verification.queue",
                  roles=VERIFICATION_ROLES, order=65)
    nav.set_home(app, ("verifier",), "verification.queue")


def register_commands(group: click.Group) -> None:
    """``recruitment create|edit|formation|document|announce|export|purge|expire|erasures|erase``."""
    for command in COMMANDS:
        group.add_command(command)
