"""What the committee area hands the top: results and item-analysis pages, ``exam …``, ``audit``, a ``bank`` command."""

from __future__ import annotations

import click
from flask import Flask

from committee.cli import audit_cmd, exam_cmd, relabel_difficulty_cmd
from committee.web import assessment, bank, blueprints, candidates, console, exams, recruitments, rooms, sessions
from committee.web.analysis import bp as analysis_bp
from committee.web.console_results import bp as console_results_bp
from committee.web.objections import bp as objections_bp
from committee.web.onboarding import bp as onboarding_bp
from committee.web.results import bp as results_bp
from committee.web.seating import bp as seating_bp
from committee.web.verify import bp as verify_bp
from ground.i18n import lazy_gettext
from ground.runtime import Runtime
from ground.staff import nav

# The console's navigation (ground/staff/nav.py): (key, label, endpoint, order). An endpoint not registered yet is
# shown as plain text; the results pages (issue 16) hook in by giving "results" their endpoint here.
CONSOLE_NAV = (
    ("home", lazy_gettext("Home"), "console.home", 10),
    ("bank", lazy_gettext("Bank"), "console_bank.index", 20),
    ("blueprints", lazy_gettext("Blueprints"), "console_blueprints.index", 30),
    ("exams", lazy_gettext("Exams & sessions"), "console_exams.index", 40),
    ("rooms", lazy_gettext("Rooms & staff"), "console_rooms.index", 50),
    ("candidates", lazy_gettext("Candidates"), "console_candidates.index", 60),
    ("recruitments", lazy_gettext("Recruitments"), "console_recruitments.index", 62),
    ("results", lazy_gettext("Results"), "console_results.index", 70),
    ("analysis", lazy_gettext("Item analysis"), "analysis.index", 75),
    ("assessment", lazy_gettext("Assessment"), "console_assessment.index", 80),
)


def init_app(app: Flask, rt: Runtime) -> None:
    """The console (home and its pages, landing page of committee and admin), item analysis pages and the results
    API (announcement, final, signed exports)."""
    app.register_blueprint(console.bp)
    app.register_blueprint(bank.bp)
    app.register_blueprint(blueprints.bp)
    app.register_blueprint(exams.bp)
    app.register_blueprint(sessions.bp)
    app.register_blueprint(rooms.bp)
    app.register_blueprint(candidates.bp)
    app.register_blueprint(recruitments.bp)
    app.register_blueprint(analysis_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(console_results_bp)
    app.register_blueprint(verify_bp)
    app.register_blueprint(onboarding_bp)
    app.register_blueprint(objections_bp)
    app.register_blueprint(assessment.bp)
    app.register_blueprint(seating_bp)
    for key, label, endpoint, order in CONSOLE_NAV:
        nav.add_entry(app, key, label, endpoint, order=order)
    nav.set_home(app, console.COMMITTEE, "console.home")


def register_commands(group: click.Group) -> None:
    """``exam …``, ``audit check``, and ``bank relabel-difficulty`` in the bank's group (registered before this one)."""
    group.add_command(exam_cmd)
    group.add_command(audit_cmd)
    bank = group.commands.get("bank")
    if not isinstance(bank, click.Group):
        raise RuntimeError("register question_bank's commands before the committee's")
    bank.add_command(relabel_difficulty_cmd)
