"""A proctor's browser as tests see it: signed in over HTTP (session cookie), live over ``/proctor``."""

from __future__ import annotations

import queue
import time
from typing import Any

import requests
import socketio

from tests.live import LiveServer

PUSHES = ("candidates", "feed", "room", "signed_out")


class Proctor:
    """A signed-in staff member with a real python-socketio client on ``/proctor``."""

    def __init__(self, server: LiveServer, username: str, password: str, connect: bool = True) -> None:
        self.server = server
        self.http = requests.Session()
        r = self.http.post(server.url + "/api/v1/staff/session", json={"username": username, "password": password},
                           timeout=20)
        assert r.status_code == 200, r.text
        self.staff = r.json()["staff"]
        self.csrf = r.json()["csrf_token"]
        self.pushes: queue.Queue[tuple[str, Any, float]] = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        for name in PUSHES:
            self.sio.on(name, (lambda n: lambda data=None: self.pushes.put((n, data, time.monotonic())))(name),
                        namespace="/proctor")
        if connect:
            self.connect()

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)

    def connect(self) -> None:
        self.sio.connect(self.server.url, namespaces=["/proctor"], headers={"Cookie": self.cookie_header()},
                         transports=["websocket"], wait_timeout=10)

    def call(self, event: str, data: Any = None) -> dict[str, Any]:
        return self.sio.call(event, data, namespace="/proctor", timeout=30)

    def wait_for(self, name: str, match: Any = None, timeout: float = 10.0) -> tuple[Any, float]:
        """The next push ``name`` whose payload satisfies ``match`` (others are skipped); returns (data, when)."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {name} push matching within {timeout}s")
            got, data, at = self.pushes.get(timeout=left)
            if got == name and (match is None or match(data)):
                return data, at

    def wait_row(self, candidate_id: int, pred: Any, timeout: float = 10.0) -> dict[str, Any]:
        """The next grid row of ``candidate_id`` satisfying ``pred``."""
        def hit(data: Any) -> bool:
            return any(r["candidate_id"] == candidate_id and pred(r) for r in data["rows"])

        data, _ = self.wait_for("candidates", hit, timeout)
        return next(r for r in data["rows"] if r["candidate_id"] == candidate_id and pred(r))

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


def staff_creds(server: LiveServer, role: str) -> tuple[str, str]:
    s = next(s for s in server.creds["staff"] if s["role"] == role)
    return s["username"], s["password"]


def sign_in_on_page(page: Any, server: LiveServer, role: str, path: str = "/staff/login?lang=id") -> None:
    """Sign the demo's staff member of ``role`` in through the form at ``path``, as a person types it."""
    page.goto(server.url + path)
    username, password = staff_creds(server, role)
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#sign-in")
