"""A real ``exam-engine serve`` process for tests: seeded demo data, a free port, hard kill and restart."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """One installation (data folder + database) served by a child process, as an operator would run it."""

    def __init__(self, data_dir: Path, database_url: str | None, candidates: int = 20, **env: str) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "EXAM_TESTING_CLOCK": "1", "EXAM_TIME_PUSH_S": "2", **env}
        self.env.pop("EXAM_DATABASE_URL", None)
        if database_url:
            self.env["EXAM_DATABASE_URL"] = database_url
        self.db_url = database_url or f"sqlite:///{data_dir / 'exam.sqlite3'}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "server.log"
        self._cli("demo", "--seed-only", "--candidates", str(candidates), "--port", str(self.port))
        self.creds: dict[str, Any] = json.loads((data_dir / "demo-credentials.json").read_text())

    def _cli(self, *args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "exam_engine", "--data-dir", str(self.data_dir), *args],
            env=self.env, capture_output=True, text=True, timeout=300, cwd=ROOT,
        )
        if out.returncode != 0:
            raise RuntimeError(f"exam-engine {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
        return out.stdout

    def start(self, timeout: float = 30.0) -> LiveServer:
        fh = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "exam_engine", "--data-dir", str(self.data_dir), "serve", "--port", str(self.port)],
            env=self.env, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # polling the port until it answers: a readiness check, not a sleep-sync
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError(f"server did not come up:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing: a power cut as the process sees it."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def candidate(self, i: int) -> dict[str, str]:
        c = self.creds["candidates"][i]
        return {"participant_no": c["participant_no"], "pin": c["pin"], "room_token": self.creds["room_token"]}

    def login(self, i: int) -> requests.Response:
        return requests.post(self.url + "/api/v1/candidate/login", json=self.candidate(i), timeout=10)

    def token(self, i: int) -> str:
        r = self.login(i)
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        r = requests.post(self.url + "/api/v1/_test/clock", json={"advance_s": seconds}, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()
