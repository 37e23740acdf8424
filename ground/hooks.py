"""What the ground floor hands the app: staff sign-in, shared by every staff area (proctor, committee, portal)."""

from __future__ import annotations

from flask import Flask

from ground.runtime import Runtime
from ground.staff.auth import bp as staff_bp


def init_app(app: Flask, rt: Runtime) -> None:
    """Register the staff sign-in pages and JSON session API."""
    app.register_blueprint(staff_bp)


def start(app: Flask) -> None:
    """A serving process's part in electing the one leader of the run-once jobs (ground/leader.py)."""
    from ground import leader

    leader.start(app)
