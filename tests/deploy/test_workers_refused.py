"""``serve --workers N``: refused, with the reason, where workers could not share state; the default per setup;
the nginx configuration it writes."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from exam_engine.cli import main as cli
from exam_engine.workers import SITE, default_workers, nginx_conf, site_block
from ground.config import Config

PG = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # never connected to: the refusals come first


def _serve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> str:
    monkeypatch.setenv("EXAM_LOCALE", "en")
    for name in ("EXAM_DATABASE_URL", "EXAM_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "serve", *args])
    assert out.exit_code == 2, out.output
    assert not (tmp_path / "data" / "nginx").exists(), "nothing is started or written"
    return out.output


def test_more_than_one_worker_on_sqlite_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _serve(tmp_path, monkeypatch, {"EXAM_REDIS_URL": "redis://127.0.0.1:1/0"}, "--workers", "2")
    assert "2 workers need PostgreSQL (EXAM_DATABASE_URL)" in out


def test_more_than_one_worker_without_redis_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _serve(tmp_path, monkeypatch, {"EXAM_DATABASE_URL": PG}, "--workers", "3")
    assert "3 workers need Redis (EXAM_REDIS_URL)" in out


def test_more_than_one_worker_without_nginx_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"EXAM_DATABASE_URL": PG, "EXAM_REDIS_URL": "redis://127.0.0.1:1/0"}
    out = _serve(tmp_path, monkeypatch, env, "--workers", "2", "--nginx", str(tmp_path / "no-nginx"))
    assert "need nginx in front of them" in out and "--nginx" in out


def test_a_taken_worker_port_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"EXAM_DATABASE_URL": PG, "EXAM_REDIS_URL": "redis://127.0.0.1:1/0"}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = _serve(tmp_path, monkeypatch, env, "--workers", "2", "--nginx", "/bin/true", "--worker-port", str(port))
    assert f"Port {port} on 127.0.0.1 is taken" in out


def test_one_worker_per_core_only_where_several_can_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    assert default_workers(Config(data_dir=tmp_path, database_url=None, redis_url="redis://x")) == 1  # SQLite
    assert default_workers(Config(data_dir=tmp_path, database_url=PG, redis_url=None)) == 1
    assert default_workers(Config(data_dir=tmp_path, database_url=PG, redis_url="redis://x")) == 4


def test_the_generated_configuration_holds_the_site_and_its_files(tmp_path: Path) -> None:
    conf = nginx_conf(tmp_path, "0.0.0.0:80", [5001, 5002, 5003])
    assert "server 127.0.0.1:5001; server 127.0.0.1:5002; server 127.0.0.1:5003;" in conf
    assert "listen 0.0.0.0:80;" in conf and f"pid {tmp_path / 'nginx.pid'};" in conf
    assert "hash $remote_addr consistent;" in conf


def test_a_taken_front_port_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"EXAM_DATABASE_URL": PG, "EXAM_REDIS_URL": "redis://127.0.0.1:1/0"}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = _serve(tmp_path, monkeypatch, env, "--workers", "2", "--nginx", "/bin/true", "--port", str(port))
    assert f"nginx cannot listen on 127.0.0.1:{port}" in out


def test_the_documented_block_is_what_the_command_writes() -> None:
    from tests.deploy.test_nginx import documented_block

    assert documented_block() == site_block("80", [5001, 5002]), "docs/deploy.md and exam_engine/workers.py differ"
    assert "ip_hash" not in SITE  # keys a /24 as one client: a whole room would sit on one worker
