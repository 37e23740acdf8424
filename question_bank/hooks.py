"""What the question bank hands the top: its ``exam-engine bank …`` commands."""

from __future__ import annotations

import click

from question_bank.cli import bank_cmd


def register_commands(group: click.Group) -> None:
    """Attach ``bank`` to the ``exam-engine`` command."""
    group.add_command(bank_cmd)
