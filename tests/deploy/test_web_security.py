"""Which client address the app believes, and the headers on every response (no server process needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, request

from exam_engine.app import create_app
from exam_engine.web_security import secure
from ground.config import Config


def address_app(trusted: int) -> Flask:
    app = Flask(__name__)
    secure(app, Config(data_dir=Path("/nonexistent"), trusted_proxies=trusted))
    app.add_url_rule("/who", "who", lambda: str(request.remote_addr))
    return app


@pytest.mark.parametrize(("trusted", "expected"), [(0, "127.0.0.3"), (1, "10.1.2.3"), (2, "6.6.6.6")])
def test_forwarded_for_is_believed_only_for_configured_proxies(trusted: int, expected: str) -> None:
    """nginx appends the PC's address; anything before it came from the client and is believed only as far as
    the operator said proxies stand in front."""
    client = address_app(trusted).test_client()
    seen = client.get("/who", headers={"X-Forwarded-For": "6.6.6.6, 10.1.2.3"},
                      environ_base={"REMOTE_ADDR": "127.0.0.3"}).get_data(as_text=True)
    assert seen == expected


def test_every_response_carries_the_security_headers(tmp_path: Path) -> None:
    app = create_app(Config(data_dir=tmp_path / "data"), async_mode="threading")
    client = app.test_client()
    for path in ("/", "/api/v1/health", "/staff/login", "/no-such-page", "/static/css/candidate.css"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "no-referrer", path
        assert "script-src 'self';" in response.headers["Content-Security-Policy"], path
    cookie = client.get("/?lang=en").headers["Set-Cookie"]  # a cookie is set, plain HTTP: not marked Secure
    assert "lang=en" in cookie and "Secure" not in cookie


def test_secure_cookies_behind_https(tmp_path: Path) -> None:
    app = create_app(Config(data_dir=tmp_path / "data", secure_cookies=True), async_mode="threading")
    cookie = app.test_client().get("/?lang=en").headers["Set-Cookie"]
    assert "lang=en" in cookie and "Secure" in cookie
    assert app.config["SESSION_COOKIE_SECURE"] is True
