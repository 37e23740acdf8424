"""What the registration portal hands the top: ``recruitment …`` (its pages follow)."""

from __future__ import annotations

import click

from registration.cli import COMMANDS


def register_commands(group: click.Group) -> None:
    """``recruitment create|formation|document``."""
    for command in COMMANDS:
        group.add_command(command)
