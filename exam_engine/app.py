"""The Flask app factory: config, i18n, error shape, blueprints and the Socket.IO namespaces."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from exam_engine import i18n
from exam_engine.config import REPO_ROOT, Config
from exam_engine.errors import AppError, error_body
from exam_engine.extensions import babel, socketio
from exam_engine.runtime import Runtime


def _blueprints(config: Config) -> list[Any]:
    """Every HTTP blueprint, in one list: add a line here for a new area."""
    from exam_engine.web.analysis import bp as analysis_bp  # committee item analysis
    from exam_engine.web.candidate import bp as candidate_bp  # exam page, login, media
    from exam_engine.web.receipts import bp as receipts_bp  # public key, receipt check
    from exam_engine.web.results import bp as results_bp  # announcement, final, signed exports
    from proctor.auth import bp as staff_bp  # staff sign-in
    from proctor.web import bp as proctor_bp  # dashboard, summaries, score board

    blueprints: list[Any] = [candidate_bp, staff_bp, proctor_bp, analysis_bp, receipts_bp, results_bp]
    if config.testing_clock:
        from exam_engine.web.testing import bp as testing_bp

        blueprints.append(testing_bp)
    return blueprints


def _namespaces(rt: Runtime) -> list[Any]:
    """Every Socket.IO namespace, in one list."""
    from exam_engine.live.exam_namespace import ExamNamespace
    from proctor.live import BoardNamespace, ProctorNamespace  # issue 6

    return [ExamNamespace("/exam", rt), ProctorNamespace("/proctor"), BoardNamespace("/board")]


def select_locale() -> str:
    """``?lang=`` or the ``lang`` cookie, else the installation's locale (Bahasa Indonesia).

    The browser's Accept-Language is ignored on purpose: exam-room PCs often run an English OS.
    """
    asked = request.args.get("lang") or request.cookies.get("lang")
    if asked in i18n.LOCALES:
        return asked
    return i18n.current_default()


def create_app(config: Config | None = None, *, async_mode: str | None = None) -> Flask:
    """Build the app; ``async_mode`` is ``gevent`` when serving, ``threading`` in some tests."""
    config = config or Config()
    config.ensure_data_dir()
    app = Flask(
        "exam_engine",
        static_folder=str(REPO_ROOT / "static"),
        static_url_path="/static",
        template_folder=str(REPO_ROOT / "exam_engine" / "templates"),
    )
    rt = Runtime(config)
    app.extensions["exam_engine"] = rt
    app.config.update(
        SECRET_KEY=rt.secret,
        MAX_CONTENT_LENGTH=config.max_upload_bytes,
        BABEL_DEFAULT_LOCALE=i18n.DEFAULT_LOCALE,
        JSON_SORT_KEYS=False,
    )
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(_=i18n.gettext, current_locale=i18n.current_locale)

    @app.errorhandler(AppError)
    def _app_error(err: AppError):  # type: ignore[no-untyped-def]
        return jsonify(err.body()), err.status

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):  # type: ignore[no-untyped-def]
        if not request.path.startswith("/api/"):
            return err
        codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 429: "too_many_requests"}
        code = codes.get(err.code or 500, "http_error")
        message = {
            "too_large": i18n.gettext(
                "The upload is larger than the %(limit)s bytes allowed.", limit=config.max_upload_bytes
            ),
        }.get(code, err.description or "")
        return jsonify(error_body(code, message)), err.code or 500

    @app.errorhandler(Exception)
    def _crash(err: Exception):  # type: ignore[no-untyped-def]
        logging.getLogger("exam_engine").exception("unhandled error on %s", request.path)
        return jsonify(error_body("internal", i18n.gettext("Something went wrong on the server."))), 500

    @app.after_request
    def _remember_language(response):  # type: ignore[no-untyped-def]
        asked = request.args.get("lang")
        if asked in i18n.LOCALES and request.cookies.get("lang") != asked:
            response.set_cookie("lang", asked, max_age=365 * 86400, samesite="Lax")
        return response

    for blueprint in _blueprints(config):
        app.register_blueprint(blueprint)

    socketio.init_app(
        app,
        async_mode=async_mode,
        message_queue=config.redis_url,
        channel=config.redis_channel,
        ping_interval=10,
        ping_timeout=20,
        max_http_buffer_size=64 * 1024,
    )
    for namespace in _namespaces(rt):
        socketio.on_namespace(namespace)
    return app
