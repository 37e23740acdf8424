"""What the committee area hands the top: results and item-analysis pages, ``exam …``, ``audit``, a ``bank`` command."""

from __future__ import annotations

import click
from flask import Flask

from committee.cli import audit_cmd, exam_cmd, relabel_difficulty_cmd
from committee.web.analysis import bp as analysis_bp
from committee.web.results import bp as results_bp
from ground.runtime import Runtime


def init_app(app: Flask, rt: Runtime) -> None:
    """Item analysis pages and the results API (announcement, final, signed exports)."""
    app.register_blueprint(analysis_bp)
    app.register_blueprint(results_bp)


def register_commands(group: click.Group) -> None:
    """``exam …``, ``audit check``, and ``bank relabel-difficulty`` in the bank's group (registered before this one)."""
    group.add_command(exam_cmd)
    group.add_command(audit_cmd)
    bank = group.commands.get("bank")
    if not isinstance(bank, click.Group):
        raise RuntimeError("register question_bank's commands before the committee's")
    bank.add_command(relabel_difficulty_cmd)
