"""What scoring hands the top: rank, results, verify, onboarding and item-analysis commands."""

from __future__ import annotations

import click

from scoring.analysis.cli import analysis_cmd
from scoring.cli import COMMANDS


def register_commands(group: click.Group) -> None:
    """Attach every scoring command to the ``exam-engine`` group."""
    for command in (*COMMANDS, analysis_cmd):
        group.add_command(command)
