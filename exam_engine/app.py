"""The Flask app factory: config, i18n, the error shape; each package adds its blueprints and namespaces."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from exam_engine.assets import init_assets
from exam_engine.packages import hooks
from exam_engine.web_security import secure
from ground import i18n
from ground.config import REPO_ROOT, Config
from ground.errors import AppError, error_body
from ground.extensions import babel, socketio
from ground.runtime import Runtime
from ground.sockets import FlatPacket


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
        reply = jsonify(err.body())
        if "retry_after" in err.details:  # a refusal that says when to come back says it to any HTTP client too
            reply.headers["Retry-After"] = str(err.details["retry_after"])
        return reply, err.status

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):  # type: ignore[no-untyped-def]
        if not request.path.startswith("/api/"):
            return err
        codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large",
                 429: "too_many_requests"}
        code = codes.get(err.code or 500, "http_error")
        message = {
            "too_large": i18n.gettext(
                "The upload is larger than the %(limit)s bytes allowed.", limit=config.max_upload_bytes
            ),
            "bad_request": i18n.gettext("The request could not be read (malformed or too deeply nested JSON)."),
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
            response.set_cookie("lang", asked, max_age=365 * 86400, samesite="Lax", secure=config.secure_cookies)
        return response

    socketio.init_app(
        app,
        async_mode=async_mode,
        message_queue=config.redis_url,
        channel=config.redis_channel,
        ping_interval=10,
        ping_timeout=20,
        max_http_buffer_size=64 * 1024,
        serializer=FlatPacket,
    )
    secure(app, config)
    init_assets(app)
    for init_app in hooks("init_app"):
        init_app(app, rt)
    return app
