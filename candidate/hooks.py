"""What the candidate engine hands the top: its pages, the ``/exam`` namespace and the per-process ticker."""

from __future__ import annotations

from flask import Flask

from candidate.live import liveness, ticker
from candidate.live.exam_namespace import NAMESPACE, ExamNamespace
from candidate.web.candidate import bp as candidate_bp
from candidate.web.objections import bp as objections_bp
from candidate.web.receipts import bp as receipts_bp
from ground.extensions import socketio
from ground.runtime import Runtime


def init_app(app: Flask, rt: Runtime) -> None:
    """Exam page, login API and media; receipt check; the objection page (/sanggah); the test clock only when the
    config allows it."""
    app.register_blueprint(candidate_bp)
    app.register_blueprint(receipts_bp)
    app.register_blueprint(objections_bp)
    if rt.config.testing_clock:
        from candidate.web.testing import bp as testing_bp

        app.register_blueprint(testing_bp)
    socketio.on_namespace(ExamNamespace(NAMESPACE, rt))


def start(app: Flask) -> None:
    """A serving process's background work: its heartbeat, deadlines, the audit chain, time pushes."""
    liveness.start(app)
    ticker.start(app)
