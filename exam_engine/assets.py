"""Static files named by their content, compressed and cached for a year, so a room's PCs fetch each file once."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask, Response, request, send_from_directory, url_for
from flask_compress import Compress

YEAR_S = 365 * 86400
COMPRESSED_ENDPOINTS = {"static", "favicon", "candidate.exam_page"}  # no secrets in them (no BREACH oracle)


class MemoryCache:
    """Compressed bodies kept per process (static files change only with a deploy, which restarts it)."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        """The stored body, or None."""
        return self.data.get(key)

    def set(self, key: str, value: bytes) -> None:
        """Keep a body (bounded: a few dozen static files)."""
        if len(self.data) > 512:
            self.data.clear()
        self.data[key] = value


def content_hashes(folder: Path) -> dict[str, str]:
    """{path under ``folder``: first 12 hex of its SHA-256}, read once at startup."""
    out: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            out[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return out


def init_assets(app: Flask) -> None:
    """``asset(path)`` for templates, year-long caching of hashed URLs, compression, and ``/favicon.ico``."""
    folder = Path(str(app.static_folder))
    hashes = content_hashes(folder)
    app.config.update(
        COMPRESS_REGISTER=False,  # only the endpoints above: never a page that reflects input beside a secret
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_CACHE_BACKEND=MemoryCache,
        COMPRESS_CACHE_KEY=lambda req: f"{req.full_path}|{req.cookies.get('lang', '')}",  # the page's language
    )
    compress = Compress(app)

    def asset(path: str) -> str:
        """The URL of a static file with its content hash (a changed file gets a new URL)."""
        version = hashes.get(path)
        return url_for("static", filename=path, v=version) if version else url_for("static", filename=path)

    app.jinja_env.globals["asset"] = asset

    @app.get("/favicon.ico")
    def favicon() -> Response:
        """The tab icon browsers ask for at the root."""
        resp = send_from_directory(folder, "favicon.ico", mimetype="image/vnd.microsoft.icon")
        resp.cache_control.max_age = 86400
        resp.cache_control.public = True
        return resp

    @app.after_request
    def _cache_and_compress(response: Response) -> Response:
        if request.endpoint == "static" and response.status_code == 200:
            name = (request.view_args or {}).get("filename", "")
            if request.args.get("v") and request.args.get("v") == hashes.get(name):
                response.cache_control.no_cache = None  # Flask's own default for files
                response.cache_control.max_age = YEAR_S
                response.cache_control.public = True
                response.cache_control.immutable = True
            else:  # an unhashed name (a module's own imports): revalidated by its ETag
                response.cache_control.no_cache = True
        if request.endpoint in COMPRESSED_ENDPOINTS and response.status_code == 200:
            if response.direct_passthrough:  # a file: read it so it is compressed whole, and cached
                response.direct_passthrough = False
                response.make_sequence()
            compressed: Any = compress.after_request(response)
            return compressed  # type: ignore[no-any-return]
        return response
