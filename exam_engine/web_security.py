"""The web surface every response shares: security headers, cookie flags and which proxies to believe."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from ground.config import Config

# No inline or foreign script anywhere (JSON data blocks are not scripts); inline styles stay allowed for the
# self-contained analysis report and the receipt page. Socket.IO connects to the page's own origin ('self').
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class BoundedJSONProvider(DefaultJSONProvider):
    """JSON bodies nested too deep for the parser are a bad request (400), not a crash (500)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc


def secure(app: Flask, config: Config) -> None:
    """Headers on every response, Secure cookies when served over HTTPS, X-Forwarded-* from trusted proxies only.

    Call after ``socketio.init_app`` so the proxy fix also gives Socket.IO handlers the client's address.
    """
    # the session cookie (staff sign-in, CSRF token): HTTP-only, never sent cross-site, Secure behind HTTPS
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=config.secure_cookies)
    app.json = BoundedJSONProvider(app)

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    if config.trusted_proxies > 0:
        n = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]
