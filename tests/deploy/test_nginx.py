"""docs/deploy.md's nginx, for real: two ``serve`` processes (PostgreSQL, Redis) behind Debian's nginx, the
candidate page driven through it in Chromium, and the client's address seen through the proxy."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from ground import db
from ground.models import AuditEvent
from tests.conftest import drop_postgres_database, fresh_postgres_database, need_nginx, need_redis
from tests.live import LiveServer, finish_on_page, free_port, log_in_on_page, start_on_page, wait_until, wait_until_up
from tests.proctor.clients import staff_creds
from tests.scoring.analysis.analysis_data import build_exam

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


def committee_through(site: dict[str, Any]) -> tuple[requests.Session, str]:
    """The demo's committee member signed in through nginx."""
    username, password = staff_creds(site["servers"][0], "committee")
    browser = requests.Session()
    r = browser.post(site["url"] + "/api/v1/staff/session", json={"username": username, "password": password},
                     timeout=30)
    assert r.status_code == 200, r.text
    return browser, r.json()["csrf_token"]


def test_the_committees_location_serves_its_pages_and_api(site: dict[str, Any]) -> None:
    """The committee's own location (its longer wait) reaches the app like the others, pages and API alike."""
    anonymous = requests.get(site["url"] + "/committee/analysis/", allow_redirects=False, timeout=10)
    assert anonymous.status_code == 302 and "/staff/login" in anonymous.headers["Location"]
    browser, _csrf = committee_through(site)
    page = browser.get(site["url"] + "/committee/analysis/?lang=en", timeout=30)
    assert page.status_code == 200 and "Item analysis" in page.text
    api = browser.get(site["url"] + "/api/v1/committee/exams/NOPE/announcement?lang=en", timeout=30)
    assert api.status_code == 404 and api.json()["error"]["code"], api.text


@pytest.mark.slow
def test_a_committee_job_longer_than_a_minute_still_answers_through_nginx(site: dict[str, Any]) -> None:
    """nginx's default 60 s read timeout answered 504 to a whole-exam job (the job went on, its file was lost)."""
    with db.session_scope(site["db_url"]) as s:
        exam = build_exam(s)
    browser, csrf = committee_through(site)
    servers: list[LiveServer] = site["servers"]

    def store() -> requests.Response:
        return browser.post(f"{site['url']}/committee/analysis/{exam.code}", data={"csrf_token": csrf},
                            allow_redirects=False, timeout=300)

    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(store)
        wait_until(lambda: any(s.job_children() for s in servers), 30, "the analysis never started a job process")
        held = [pid for s in servers for pid in s.job_children()]
        for pid in held:
            os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(75)  # the job's length under test, not a wait for something to happen
        finally:
            for pid in held:
                os.kill(pid, signal.SIGCONT)
        answer = pending.result()
    assert answer.status_code == 303, answer.text[:300]
    assert "/committee/analysis/" in answer.headers["Location"]
