"""What the proctor area hands the top: its pages, the ``/proctor`` and ``/board`` namespaces, its commands."""

from __future__ import annotations

import click
from flask import Flask

from ground import events
from ground.extensions import socketio
from ground.i18n import lazy_gettext
from ground.runtime import Runtime
from ground.staff import nav
from proctor import live
from proctor.cli import COMMANDS
from proctor.web import bp as proctor_bp

WATCHERS = ("admin", "committee", "proctor")  # who watches rooms: a verifier (registration) has none, so no link


def _drop_connections(_name: str, payload: dict) -> None:
    live.drop_staff_connections(payload["staff_id"], payload.get("session_id"))


def init_app(app: Flask, rt: Runtime) -> None:
    """Dashboard, summaries and score board; live namespaces; close the dashboards of a sign-in that ended."""
    app.register_blueprint(proctor_bp)
    nav.add_entry(app, "proctor", lazy_gettext("Proctor dashboard"), "proctor.dashboard", roles=WATCHERS, order=80)
    nav.set_home(app, ("proctor",), "proctor.dashboard")
    socketio.on_namespace(live.ProctorNamespace(live.NAMESPACE))
    socketio.on_namespace(live.BoardNamespace(live.BOARD_NAMESPACE))
    events.subscribe(events.STAFF_SIGNED_OUT, _drop_connections)


def register_commands(group: click.Group) -> None:
    """``staff``, ``room``, ``candidates`` and ``cards``."""
    for command in COMMANDS:
        group.add_command(command)


def start(app: Flask) -> None:
    """A serving process's background work: the pump from domain events to the dashboards."""
    live.start(app)
