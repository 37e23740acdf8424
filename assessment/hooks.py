"""What the assessment area hands the top: the practice review endpoint and ``exam-engine assessment …`` (the
committee's console pages for it live in committee/web/assessment.py)."""

from __future__ import annotations

import click
from flask import Flask

from assessment.cli import COMMANDS
from assessment.web.review import bp as review_bp
from ground.runtime import Runtime


def init_app(app: Flask, rt: Runtime) -> None:
    """``GET /api/v1/practice/review``."""
    app.register_blueprint(review_bp)


def register_commands(group: click.Group) -> None:
    """``assessment create|import|sitting|report``."""
    for command in COMMANDS:
        group.add_command(command)
