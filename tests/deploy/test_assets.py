"""Static files: content-hashed URLs cached for a year, compressed, and a favicon, through the real Flask app."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest

from exam_engine.app import create_app
from ground.config import REPO_ROOT, Config


@pytest.fixture
def client(tmp_path: Path, sqlite_url: str):
    return create_app(Config(data_dir=tmp_path / "inst", database_url=sqlite_url), async_mode="threading").test_client()


def test_the_page_names_its_assets_by_content_and_they_are_cached_for_a_year(client) -> None:
    page = client.get("/").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert {u.split("?")[0] for u in urls} >= {"/static/css/candidate.css", "/static/js/candidate.js",
                                                "/static/vendor/socket.io.min.js", "/static/favicon.ico"}
    for url in urls:
        assert re.search(r"\?v=[0-9a-f]{12}$", url), url
        res = client.get(url)
        assert res.status_code == 200
        assert sorted(res.headers["Cache-Control"].split(", ")) == ["immutable", "max-age=31536000", "public"]
    stale = client.get("/static/css/candidate.css?v=000000000000")  # an old page's URL: revalidated, not kept
    assert "no-cache" in stale.headers["Cache-Control"]
    plain = client.get("/static/vendor/noble-ciphers/aes.js")  # a module's own import: revalidated by its ETag
    assert "no-cache" in plain.headers["Cache-Control"] and plain.headers.get("ETag")


def test_text_assets_are_compressed_with_what_the_browser_accepts(client) -> None:
    original = (REPO_ROOT / "static" / "vendor" / "socket.io.min.js").read_bytes()
    res = client.get("/static/vendor/socket.io.min.js", headers={"Accept-Encoding": "gzip"})
    assert res.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in res.headers["Vary"]
    assert gzip.decompress(res.data) == original and len(res.data) < len(original) / 2
    res = client.get("/static/vendor/socket.io.min.js", headers={"Accept-Encoding": "gzip, br"})
    assert res.headers["Content-Encoding"] == "br" and brotli.decompress(res.data) == original
    res = client.get("/static/vendor/socket.io.min.js")
    assert "Content-Encoding" not in res.headers and res.data == original
    html = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert html.headers["Content-Encoding"] == "gzip" and b"<html" in gzip.decompress(html.data)
    api = client.post("/api/v1/candidate/login", json={}, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in api.headers  # only pages and files with nothing secret are compressed


def test_favicon(client) -> None:
    res = client.get("/favicon.ico")
    assert res.status_code == 200 and res.mimetype == "image/vnd.microsoft.icon" and res.data[:4] == b"\0\0\1\0"
