"""A real ``exam-engine serve`` process for tests: seeded demo data, a free port, hard kill and restart."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import requests
import socketio
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ground import keyring

ROOT = Path(__file__).resolve().parent.parent
SERVER_LOGS: list[Path] = []  # every live server's log in this test process: a failing test shows their tracebacks


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Any, timeout: float = 10.0, message: str = "") -> float:
    """Poll ``condition`` until it holds (a condition, not a fixed wait); the seconds it took, or fail."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < timeout, message or f"not true within {timeout} s"
        time.sleep(0.05)
    return time.monotonic() - began


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 30.0, describe=lambda: "") -> None:  # type: ignore[type-arg,no-untyped-def]
    """Poll ``url`` until it answers (a readiness check, not a sleep-sync); fail at once if ``proc`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{describe()}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.05)
    raise RuntimeError(f"server did not come up at {url}:\n{describe()}")


def log_in_on_page(page: Any, url: str, cred: dict[str, str]) -> None:
    """Log in on the candidate page at ``url`` as a candidate does (type ``cred``, press Log in), until accepted."""
    page.goto(url)
    page.fill("#participant_no", cred["participant_no"])
    page.fill("#pin", cred["pin"])
    page.fill("#room_token", cred["room_token"])
    page.click("#login-button")
    page.wait_for_selector("#login-view", state="hidden")


def start_on_page(page: Any) -> None:
    """On the start screen: tick *Saya setuju* (the agreement), then press Start, as a candidate does."""
    page.check("#agree-box")
    page.click("#start-button")


def finish_on_page(page: Any) -> None:
    """Finish as a candidate does: *Finish and submit* opens the summary, where finishing is confirmed."""
    page.click("#submit-button")
    page.click("#finish-confirm")


class LiveServer:
    """One installation (data folder + database) served by a child process, as an operator would run it."""

    def __init__(
        self, data_dir: Path, database_url: str | None, candidates: int = 20, seed: bool = True, **env: str
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "EXAM_TESTING_CLOCK": "1", "EXAM_TIME_PUSH_S": "2", **env}
        self.env.pop("EXAM_DATABASE_URL", None)
        if database_url:
            self.env["EXAM_DATABASE_URL"] = database_url
        self.db_url = database_url or f"sqlite:///{data_dir / 'exam.sqlite3'}"
        keyring.register(self.db_url, data_dir)  # this process opens the sealed bank (scores) with the server's keys
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "server.log"
        if seed:  # a second process of the same installation reuses the first one's data
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
        if self.log not in SERVER_LOGS:
            SERVER_LOGS.append(self.log)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "exam_engine", "--data-dir", str(self.data_dir), "serve", "--workers", "1", "--port",
             str(self.port)],
            env=self.env, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT,
        )
        wait_until_up(self.url + "/api/v1/health", self.proc, timeout, lambda: self.log.read_text()[-3000:])
        return self

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

    def job_children(self) -> list[int]:
        """This server's children running ``ground.jobs`` (from /proc)."""
        assert self.proc is not None
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid and b"ground.jobs" in cmd:
                found.append(int(entry))
        return found

    def candidate(self, i: int) -> dict[str, str]:
        c = self.creds["candidates"][i]
        return {"participant_no": c["participant_no"], "pin": c["pin"], "room_token": self.creds["room_token"]}

    def candidate_id(self, who: int | str) -> int:
        """The database id of demo candidate ``who`` (an index into the demo's candidates, or a participant number)."""
        from sqlalchemy import select

        from ground import db
        from ground.models import Candidate as CandidateRow

        with db.session_scope(self.db_url) as s:
            number = self.creds["candidates"][who]["participant_no"] if isinstance(who, int) else who
            return s.scalar(select(CandidateRow.id).where(CandidateRow.participant_no == number))

    def paper_map(self, who: int | str) -> Any:
        """The labels (question_bank.labels.PaperMap) of demo candidate ``who`` (an index or a participant number):
        what that candidate's page calls each bank id."""
        from sqlalchemy import select

        from candidate.papers import paper_labels
        from ground import db
        from ground.crypto import load_master_key
        from ground.models import Exam, Paper
        from question_bank.labels import PaperMap

        with db.session_scope(self.db_url) as s:
            paper = s.scalar(select(Paper).where(Paper.candidate_id == self.candidate_id(who)))
            exam = s.get(Exam, paper.exam_id)
            return PaperMap(paper_labels(exam, paper, load_master_key(self.data_dir)), paper.layout)

    def show_first(self, who: int | str, uids: list[str], html: dict[str, str] | None = None) -> None:
        """Put bank items (by uid, their current version) first in their subtests on demo candidate ``who``'s paper
        and seal that paper again, layout and package: an item imported after the demo issued its papers.

        ``html``: uid → stem markup sealed instead of the bank's (hostile markup no import lets through, to test the
        page's own sanitizer)."""
        from collections import Counter
        from dataclasses import replace

        from sqlalchemy import select

        from candidate.papers import exam_data_key
        from ground import db
        from ground.crypto import load_master_key
        from ground.models import Exam, Item, ItemVersion, Option, Paper
        from question_bank.labels import PaperLabels, PaperMap
        from question_bank.packages import PaperSealer
        from question_bank.store import version_contents

        candidate_id = self.candidate_id(who)
        with db.session_scope(self.db_url) as s:
            paper = s.scalar(select(Paper).where(Paper.candidate_id == candidate_id))
            exam = s.get(Exam, paper.exam_id)
            layout = json.loads(json.dumps(paper.layout))
            placed: Counter[str] = Counter()
            override: dict[int, str] = {}
            for uid in uids:
                subtest, vid, kind = s.execute(
                    select(Item.subtest, ItemVersion.id, ItemVersion.kind)
                    .join(ItemVersion, ItemVersion.item_id == Item.id)
                    .where(Item.uid == uid, ItemVersion.version == Item.current_version)
                ).one()
                options = s.scalars(select(Option.id).where(Option.item_version_id == vid).order_by(Option.position))
                section = next(x for x in layout["subtests"] if x["code"] == subtest)
                # as assembly lays it out: a multiple-response question is marked, so it is sealed and scored as a set
                shown_q = {"v": vid, "o": list(options)} | ({"m": True} if kind == "multiple" else {})
                section["questions"][placed[subtest]] = shown_q
                placed[subtest] += 1
                if html and uid in html:
                    override[vid] = html[uid]
            data_key = exam_data_key(exam, load_master_key(self.data_dir))
            shown = {q["v"] for x in layout["subtests"] for q in x["questions"]}
            pmap = PaperMap(PaperLabels(data_key, paper.seed), layout)
            number = self.creds["candidates"][who]["participant_no"] if isinstance(who, int) else who
            contents = version_contents(s, shown)
            contents.update({vid: replace(contents[vid], html=markup) for vid, markup in override.items()})
            sealed = PaperSealer(contents).seal(data_key, exam.code, number, layout, pmap)
            paper.key_wrapped, paper.package_nonce, paper.package_ciphertext = sealed
            paper.layout = layout

    def room_id(self, code: str = "DEMO-R1") -> int:
        """The database id of a room of this installation (the demo's own by default)."""
        from sqlalchemy import select

        from ground import db
        from ground.models import Room

        with db.session_scope(self.db_url) as s:
            return s.scalar(select(Room.id).where(Room.code == code))

    def login(self, i: int) -> requests.Response:
        return requests.post(self.url + "/api/v1/candidate/login", json=self.candidate(i), timeout=10)

    def token(self, i: int) -> str:
        """A fresh login's access token; a connection the test has just closed may still be held by the server for
        a moment (its disconnect is handled asynchronously), so ``already_connected`` is polled until released."""
        found: list[requests.Response] = []

        def released() -> bool:
            found[:] = [self.login(i)]
            body = found[0].json() if found[0].headers.get("content-type", "").startswith("application/json") else {}
            return body.get("error", {}).get("code") != "already_connected"

        wait_until(released, 10, "the server never released the connection the test closed")
        r = found[0]
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        r = requests.post(self.url + "/api/v1/_test/clock", json={"advance_s": seconds}, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()


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
        return st, open_paper(pre["package"], st)

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


class AsyncCandidate:
    """A candidate's device on asyncio (load, race and benchmark clients): login, connect, prefetch, start, open.

    It keeps trying where the page keeps trying (``candidate.js``): a busy server's login after its Retry-After, a
    proxy's 502/504 login after 5 s doubling to 30 s, a dropped or refused transport by connecting again with the
    same token (1 s doubling to 3 s, as socket.io-client), a call without an ack within 15 s by sending the same
    again. The class counts each kind, so a benchmark can tell a retried step from a lost one."""

    busy_refusals: ClassVar[int] = 0  # logins a busy server turned away (each then tried again after Retry-After)
    proxy_retries: ClassVar[int] = 0  # logins a proxy answered 502/503/504 without JSON, or the network dropped
    reconnects: ClassVar[int] = 0  # connections made again after a drop or a failed transport
    resends: ClassVar[int] = 0  # calls sent again after no ack within ACK_TIMEOUT_S or a drop
    ACK_TIMEOUT_S: ClassVar[float] = 15.0  # candidate.js ACK_TIMEOUT_MS
    RETRIED_CODES: ClassVar[frozenset[str]] = frozenset({"storage_error", "internal", "not_connected", "not_started"})

    def __init__(self, url: str, auth: dict[str, str] | None, timeout: float, http: aiohttp.ClientSession) -> None:
        self.url, self.auth, self.timeout = url, auth, timeout
        self.sio = socketio.AsyncClient(reconnection=False, http_session=http)
        self.package: dict[str, str] | None = None
        self.started = False  # once started, a new connection starts again first (the page replays the state)
        self.replay = False  # a new connection of a started paper that has not started again yet
        self.gone = asyncio.Event()  # set when the connection drops
        self.http = http  # the device's HTTP session (its login and its socket), closed with it

    @staticmethod
    def http_from(source: str | None) -> aiohttp.ClientSession:
        """An HTTP session whose connections leave from ``source`` (a loopback address such as 127.1.0.7): a room's
        PCs each have an address, and the load balancer keeps a device on one worker by it (all from 127.0.0.1
        would all land on one)."""
        if source is None:
            return aiohttp.ClientSession()
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(source, 0), limit=0))

    @classmethod
    async def sign_in(cls, url: str, cred: dict[str, str] | None, timeout: float = 60,
                      source: str | None = None) -> AsyncCandidate:
        """Log in with ``cred`` and connect to /exam with the token (``cred`` None: connect without one), from the
        loopback address ``source`` when given; a refused login or connection raises at once, a busy or failing
        path is tried again for up to ``timeout`` seconds."""
        http = cls.http_from(source)
        try:
            auth = None if cred is None else await cls.login(http, url, cred, timeout)
            device = cls(url, auth, timeout, http)
            await device.connect(timeout)
        except BaseException:
            await http.close()
            raise
        return device

    @classmethod
    async def login(cls, http: aiohttp.ClientSession, url: str, cred: dict[str, str],
                    budget: float) -> dict[str, str]:
        """The access token, as the page gets it: a busy server says when to come back; a proxy that gave up (or a
        dropped network) says nothing, and the page tries again after 5 s doubling to 30 s, spread by half."""
        deadline, failures = time.monotonic() + budget, 0
        while True:
            try:
                async with http.post(url + "/api/v1/candidate/login", json=cred) as r:
                    body = await r.json() if r.content_type == "application/json" else None
                    status, wait = r.status, float(r.headers.get("Retry-After") or 0)
            except (TimeoutError, aiohttp.ClientConnectionError):
                body, status, wait = None, 0, 0.0
            if body is not None and status == 200:
                return {"access_token": body["access_token"]}
            if body is not None and not (status == 503 and body["error"]["code"] == "busy"):
                raise AssertionError(f"login refused ({status}): {body}")
            if body is None and status not in (0, 502, 503, 504):
                raise AssertionError(f"login: HTTP {status} without a JSON body")
            if body is None:
                failures += 1
                cls.proxy_retries += 1
                wait = min(30.0, 5.0 * 2 ** (failures - 1))
            else:
                cls.busy_refusals += 1
            wait *= 1 + random.random() / 2
            if time.monotonic() + wait > deadline:
                raise TimeoutError(f"login: still refused after {budget:.0f} s ({status or 'no connection'})")
            await asyncio.sleep(wait)

    @classmethod
    def retries(cls) -> dict[str, int]:
        """This process's retries so far, by kind (a benchmark prints them next to its failures)."""
        return {"busy": cls.busy_refusals, "proxy": cls.proxy_retries, "reconnects": cls.reconnects,
                "resends": cls.resends}

    async def connect(self, budget: float) -> None:
        """Connect to /exam with the device's token; a transport that fails or a server too slow to answer is tried
        again (1 s doubling to 3 s, spread by half, as socket.io-client), a refusal (bad or replaced token) is not."""
        deadline, delay = time.monotonic() + budget, 1.0
        while True:
            sio = socketio.AsyncClient(reconnection=False, http_session=self.http)
            gone = asyncio.Event()
            sio.on("disconnect", lambda *_, dropped=gone: dropped.set(), namespace="/exam")
            try:
                await sio.connect(self.url, namespaces=["/exam"], auth=self.auth, transports=["websocket"],
                                  wait_timeout=min(self.timeout, max(1.0, deadline - time.monotonic())))
            except socketio.exceptions.ConnectionError as exc:
                if str(exc).startswith("One or more namespaces failed") or time.monotonic() + delay > deadline:
                    raise
                await asyncio.sleep(delay * (1 + random.random() / 2))
                delay = min(3.0, delay * 2)
                AsyncCandidate.reconnects += 1
                continue
            self.sio, self.gone = sio, gone
            self.replay = self.started  # the page starts again on every new connection once it has started
            return

    async def call(self, event: str, data: Any = None) -> Any:
        return await self.sio.call(event, data, namespace="/exam", timeout=self.timeout)

    async def persist(self, event: str, data: Any = None) -> Any:
        """``event``'s ack, sent as the page sends it: a dropped connection, or no ack within ACK_TIMEOUT_S, sends
        the same again (after a drop on a new connection with the same token, after ``start`` when the paper was
        started: it replays the server's state); a retryable refusal (storage_error, …) again after 2 s. Raises
        after ``timeout`` seconds without an ack (the page would still be trying: a benchmark counts it lost)."""
        deadline = time.monotonic() + self.timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                if self.gone.is_set() or not self.sio.connected:
                    await self.sio.disconnect()
                    await self.connect(left)
                    AsyncCandidate.reconnects += 1
                if self.replay and event != "start":
                    again = await self._send("start", None, left)
                    if not again.get("ok"):
                        raise RuntimeError(f"start on a new connection: {again}")
                    self.replay = False
                ack = await self._send(event, data, left)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError,
                    socketio.exceptions.DisconnectedError):
                AsyncCandidate.resends += 1
                continue
            if (ack.get("error") or {}).get("code") in self.RETRIED_CODES:
                AsyncCandidate.resends += 1
                await asyncio.sleep(2.0)
                continue
            if event == "start" and ack.get("ok"):
                self.started, self.replay = True, False
            return ack
        raise TimeoutError(f"{event}: no ack in {self.timeout:.0f} s")

    async def _send(self, event: str, data: Any, left: float) -> Any:
        """One send: its ack; DisconnectedError the moment the connection drops (the page sends again on the next
        one at once), TimeoutError after ACK_TIMEOUT_S."""
        call = asyncio.ensure_future(self.sio.call(event, data, namespace="/exam",
                                                   timeout=min(self.ACK_TIMEOUT_S, left)))
        lost = asyncio.ensure_future(self.gone.wait())
        try:
            done, _ = await asyncio.wait({call, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
        if call not in done:
            call.cancel()
            raise socketio.exceptions.DisconnectedError(f"{event}: the connection dropped")
        return call.result()

    async def prefetch(self) -> None:
        """Fetch the sealed paper (before the room presses Start)."""
        pre = await self.call("prefetch")
        assert pre["ok"], pre
        self.package = pre["package"]

    async def start(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """start + open the prefetched paper: returns (start ack, plaintext paper)."""
        assert self.package is not None, "prefetch first"
        st = await self.call("start")
        assert st["ok"], st
        self.started = True
        return st, open_paper(self.package, st)

    async def close(self) -> None:
        try:
            await self.sio.disconnect()
        finally:
            await self.http.close()


def open_paper(package: dict[str, str], start: dict[str, Any]) -> dict[str, Any]:
    """The plaintext paper: the prefetched package opened with the key and AAD that ``start`` released."""
    plain = AESGCM(base64.b64decode(start["key"])).decrypt(
        base64.b64decode(package["nonce"]), base64.b64decode(package["ciphertext"]), start["aad"].encode()
    )
    return json.loads(plain)


def questions(paper: dict[str, Any]) -> list[dict[str, Any]]:
    return [q for s in paper["subtests"] for q in s["questions"]]


def receipt_claims(receipt: str) -> dict[str, Any]:
    """A receipt's claims, read without checking the signature (tests compare them with the database)."""
    payload = receipt.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
