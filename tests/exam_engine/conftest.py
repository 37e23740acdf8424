"""Fixtures for the candidate flow: a live server per test on each database backend, and a real client."""

from __future__ import annotations

import base64
import json
import queue
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.conftest import drop_postgres_database, fresh_postgres_database
from tests.live import LiveServer


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """A seeded demo served by a real ``exam-engine serve`` process, on SQLite or PostgreSQL."""
    name = None
    url = None
    if request.param == "postgresql":
        url, name = fresh_postgres_database()
    live = LiveServer(tmp_path / "data", url)
    try:
        yield live.start()
    finally:
        live.stop()
        if name:
            drop_postgres_database(name)


class Candidate:
    """A candidate's device: the real python-socketio client, with every server push queued for waiting on."""

    def __init__(self, server: LiveServer, token: str, reconnection: bool = False) -> None:
        self.server = server
        self.token = token
        self.pushes: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.sio = socketio.Client(reconnection=reconnection, reconnection_delay=0.2, reconnection_delay_max=0.5)
        for name in ("time", "ended", "session_replaced", "announcement", "proctor_action"):
            self.sio.on(name, (lambda n: lambda data=None: self.pushes.put((n, data)))(name), namespace="/exam")
        self.sio.on("connect", lambda: self.pushes.put(("connect", None)), namespace="/exam")
        self.sio.on("disconnect", lambda *a: self.pushes.put(("disconnect", None)), namespace="/exam")
        self.sio.connect(
            server.url, namespaces=["/exam"], auth={"access_token": token}, transports=["websocket"], wait_timeout=10
        )
        self.wait_for("connect")

    def call(self, event: str, data: Any = None) -> dict[str, Any]:
        return self.sio.call(event, data, namespace="/exam", timeout=20)

    def wait_for(self, name: str, timeout: float = 20.0) -> Any:
        """Block until the server pushes ``name`` (other pushes are skipped)."""
        while True:
            got, data = self.pushes.get(timeout=timeout)
            if got == name:
                return data

    def begin(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """prefetch + start + decrypt: returns (start ack, plaintext paper)."""
        pre = self.call("prefetch")
        assert pre["ok"], pre
        st = self.call("start")
        assert st["ok"], st
        pkg = pre["package"]
        plain = AESGCM(base64.b64decode(st["key"])).decrypt(
            base64.b64decode(pkg["nonce"]), base64.b64decode(pkg["ciphertext"]), st["aad"].encode()
        )
        return st, json.loads(plain)

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


def questions(paper: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for s in paper["subtests"] for q in s["questions"]]
