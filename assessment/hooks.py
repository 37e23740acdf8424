"""What the assessment area hands the top: ``exam-engine assessment …`` (the committee's console pages for it live in
committee/web/assessment.py; a practice sitting's review is the candidate engine's, ``Exam.practice``)."""

from __future__ import annotations

import click

from assessment.cli import COMMANDS


def register_commands(group: click.Group) -> None:
    """``assessment create|import|sitting|report``."""
    for command in COMMANDS:
        group.add_command(command)
