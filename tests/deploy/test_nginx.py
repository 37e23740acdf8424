"""docs/deploy.md's nginx, for real: two ``serve`` processes (PostgreSQL, Redis) behind Debian's nginx, the
candidate page driven through it in Chromium, and the client's address seen through the proxy."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from ground import db
from ground.models import AuditEvent
from tests.conftest import drop_postgres_database, fresh_postgres_database, need_nginx, need_redis
from tests.live import LiveServer, finish_on_page, free_port, log_in_on_page, start_on_page, wait_until, wait_until_up

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.browser]
ROOT = Path(__file__).resolve().parents[2]
PROXY_ADDRESS = "127.0.0.3"  # nginx talks to the processes from here; the browser comes from 127.0.0.1
LISTEN = "127.0.0.2"


def documented_block() -> str:
    """The nginx configuration exactly as docs/deploy.md gives it."""
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```nginx\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1, "docs/deploy.md should hold one nginx block"
    return blocks[0]


def nginx_conf(tmp: Path, port: int, upstreams: list[int]) -> str:
    """The documented block with this test's ports, wrapped in the few lines a standalone nginx needs."""
    block = documented_block()
    block = block.replace("server 127.0.0.1:5001; server 127.0.0.1:5002;",
                          " ".join(f"server 127.0.0.1:{p};" for p in upstreams))
    assert "listen 80;" in block
    block = block.replace("listen 80;", f"listen {LISTEN}:{port};")
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = "\n".join(f"  {kind}_temp_path {tmp / kind};" for kind in kinds)
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\npid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n  access_log {tmp / 'access.log'};\n{temp}\n  proxy_bind {PROXY_ADDRESS};\n{block}}}\n"
    )


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """nginx on 127.0.0.2 in front of two processes of one installation."""
    nginx = need_nginx()
    redis = need_redis()
    url, name = fresh_postgres_database()
    env = {"EXAM_REDIS_URL": redis, "EXAM_REDIS_CHANNEL": f"exam-test-{uuid.uuid4().hex[:8]}",
           "EXAM_TRUSTED_PROXIES": "1"}
    servers: list[LiveServer] = []
    proc = None
    try:
        servers.append(LiveServer(tmp_path / "data", url, **env).start())
        servers.append(LiveServer(tmp_path / "data", url, seed=False, **env).start())
        conf_dir = tmp_path / "nginx"
        conf_dir.mkdir()
        port = free_port()
        (conf_dir / "nginx.conf").write_text(nginx_conf(conf_dir, port, [s.port for s in servers]))
        check = subprocess.run([nginx, "-t", "-c", str(conf_dir / "nginx.conf"), "-p", str(conf_dir)],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        proc = subprocess.Popen([nginx, "-c", str(conf_dir / "nginx.conf"), "-p", str(conf_dir), "-g", "daemon off;"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        front = f"http://{LISTEN}:{port}"
        wait_until_up(front + "/api/v1/health", proc, describe=lambda: (conf_dir / "error.log").read_text())
        yield {"url": front, "servers": servers, "db_url": url, "conf_dir": conf_dir}
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
        for server in servers:
            server.stop()
        db.dispose_all()
        drop_postgres_database(name)


def test_security_headers_through_the_proxy(site: dict[str, Any]) -> None:
    page = requests.get(site["url"] + "/", timeout=10)
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline'" not in csp.split(
        "script-src")[1].split(";")[0]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_candidate_sits_the_exam_through_nginx(site: dict[str, Any], browser: Any, page_errors: list[str]) -> None:
    """Login, WebSocket, answer, submit: all through nginx; the app sees the PC's address, not nginx's."""
    live: LiveServer = site["servers"][0]
    cred = live.candidate(0)
    page = browser.new_page(viewport={"width": 1280, "height": 860})  # the policy enforced, as in every browser test
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    log_in_on_page(page, site["url"] + "/?lang=en", cred)
    page.wait_for_selector("#start-button:visible")
    start_on_page(page)
    page.wait_for_selector("#q-options .option")
    page.locator("#q-options .option").nth(1).click()
    page.wait_for_selector("#grid .cell.answered")
    finish_on_page(page)
    page.wait_for_selector("#result-view:visible")
    assert not [c for c in console if "Content Security Policy" in c], console  # the CSP blocks nothing we serve

    page.close()  # nginx logs a WebSocket when it closes
    upgraded = re.compile(r'"GET /socket\.io/\?[^"]*transport=websocket[^"]*" 101 ')
    log = site["conf_dir"] / "access.log"
    wait_until(lambda: upgraded.search(log.read_text()) is not None, message=log.read_text()[-2000:])

    with db.session_scope(site["db_url"]) as s:
        connects = s.scalars(select(AuditEvent).where(AuditEvent.action == "connected")).all()
        addresses = {e.details.get("ip") for e in connects}
    assert addresses == {"127.0.0.1"}, addresses  # the PC, through X-Forwarded-For; never nginx's 127.0.0.3
