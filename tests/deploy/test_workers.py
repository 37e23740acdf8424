"""``exam-engine serve --workers 2`` for real, and a worker killed mid-exam.

The command starts Debian's nginx (configured from the block docs/deploy.md documents) in front of two workers on
PostgreSQL, with Redis carrying Socket.IO between them. A candidate in Chromium and python-socketio candidates sit
the exam through nginx; the python ones come from distinct addresses (127.0.0.10, .11, ...) so that nginx's
``hash $remote_addr`` spreads them (Chromium comes from 127.0.0.1). Then the worker holding the Chromium candidate
is SIGKILLed mid-exam, while everyone keeps answering: its candidates reconnect through nginx to the other worker
with the token they hold, ``start`` replays their paper, the page (and each client) sends again what was not
acknowledged, and they go on and submit — without a proctor. The supervisor starts the dead worker again, the
other worker takes over the leadership if the dead one held it, and SIGTERM stops everything.

Then, per paper: every acknowledged answer is stored and nothing else; the receipt signs exactly the stored answers;
``exam-engine audit check`` passes; no proctor acted.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from sqlalchemy import func, select

from ground import db
from ground.leader import current_leader
from ground.models import Answer, AuditEvent, ConnectionHolder, Paper, ServerProcess
from scoring.receipts import answers_digest
from tests.conftest import drop_postgres_database, fresh_postgres_database, need_nginx, need_redis
from tests.live import (
    ROOT,
    AsyncCandidate,
    LiveServer,
    free_port,
    log_in_on_page,
    open_paper,
    questions,
    receipt_claims,
    start_on_page,
    wait_until,
    wait_until_up,
)

LISTEN = "127.0.0.2"  # nginx's address; the clients connect to it from 127.0.0.1 (Chromium) and 127.0.0.10+
WAIT_MS = 60_000


def _pid(process_id: str) -> int:
    return int(process_id.split(":")[-2])  # host:pid:random (ground.liveness.process_id)


class Site:
    """One installation served by ``serve --workers 2`` (its own process group), and what the database says."""

    def __init__(self, tmp: Path, candidates: int) -> None:
        self.nginx = need_nginx()
        redis = need_redis()
        self.db_url, self.db_name = fresh_postgres_database()
        env = {"EXAM_REDIS_URL": redis, "EXAM_REDIS_CHANNEL": f"exam-test-{uuid.uuid4().hex[:8]}"}
        self.live = LiveServer(tmp / "data", self.db_url, candidates=candidates, **env)  # seeds; never started
        self.port = free_port()
        self.worker_port = next(p for p in iter(free_port, 0) if _free(p + 1) and p + 1 != self.port)
        self.url = f"http://{LISTEN}:{self.port}"
        self.log = tmp / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "exam_engine", "--data-dir", str(self.live.data_dir), "serve", "--workers", "2",
             "--host", LISTEN, "--port", str(self.port), "--worker-port", str(self.worker_port),
             "--nginx", self.nginx],
            env=self.live.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT, cwd=ROOT,
        )
        wait_until_up(self.url + "/api/v1/health", self.proc, 180, lambda: self.log.read_text()[-3000:])
        wait_until(lambda: len(self.workers()) == 2, 30, "both workers registered")

    def workers(self) -> dict[int, str]:
        """OS pid -> process id of every registered worker."""
        with db.session_scope(self.db_url) as s:
            return {pid: p for p, pid in s.execute(select(ServerProcess.id, ServerProcess.pid))}

    def holder(self, participant: int | str) -> int | None:
        """The OS pid of the worker holding this candidate's connection (None while nobody holds it)."""
        paper = self.paper_id(participant)
        with db.session_scope(self.db_url) as s:
            held = s.scalar(select(ConnectionHolder.process_id).where(ConnectionHolder.paper_id == paper))
        return _pid(held) if held else None

    def paper_id(self, participant: int | str) -> int:
        with db.session_scope(self.db_url) as s:
            return s.scalar(select(Paper.id).where(Paper.candidate_id == self.live.candidate_id(participant)))

    def stop(self) -> int | None:
        """SIGTERM to the supervisor: it stops nginx and the workers; its exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise

    def close(self) -> None:
        pids = list(self.workers()) if self.proc is not None else []
        self.stop()
        for pid in pids:  # a test failure must not leave a worker behind
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        drop_postgres_database(self.db_name)


def _leader(site: Site) -> int | None:
    name = current_leader(site.db_url)
    return _pid(name) if name else None


def _free(port: int) -> bool:
    from exam_engine.workers import port_free

    return port_free(port)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    s = Site(tmp_path, candidates=30)
    try:
        s.start()
        yield s
    finally:
        s.close()


class Lost(Exception):
    """The connection went (its worker was killed): reconnect through nginx, start, send again."""


class Sitter:
    """A python-socketio candidate from its own address: answers a question every ~0.1 s and keeps every
    write until it is acknowledged (the page's durable queue in miniature); after a lost connection it reconnects
    with its token, checks ``start``'s replay against its acknowledgements, and sends its queue again."""

    def __init__(self, front: str, cred: dict[str, str], address: str, seed: int) -> None:
        self.front, self.cred, self.address = front, cred, address
        self.rng = random.Random(seed)
        self.acked: dict[str, tuple[int, str]] = {}  # question -> (seq, option) acknowledged as applied
        self.unacked: dict[int, tuple[str, str]] = {}  # seq -> (question, option): sent, no ack yet
        self.seq = 0
        self.questions: list[dict[str, Any]] = []
        self.package: dict[str, str] | None = None
        self.sessions = 0  # connections that started (1 + resumes)
        self.acks_since_start = 0
        self.finish = False
        self.submitted: dict[str, Any] | None = None
        self.errors: list[str] = []

    async def run(self) -> None:
        async with AsyncCandidate.http_from(self.address) as http:
            async with http.post(self.front + "/api/v1/candidate/login", json=self.cred) as r:
                body = await r.json()
                assert r.status == 200, body
            token = body["access_token"]
            while self.submitted is None:
                try:
                    await self._session(http, token)
                except Lost:
                    await asyncio.sleep(0.2)  # as socket.io's reconnection delay

    async def _session(self, http: aiohttp.ClientSession, token: str) -> None:
        sio = socketio.AsyncClient(reconnection=False, http_session=http)
        gone = asyncio.Event()
        sio.on("disconnect", lambda *a: gone.set(), namespace="/exam")
        try:
            await sio.connect(self.front, namespaces=["/exam"], auth={"access_token": token},
                              transports=["websocket"], wait_timeout=10)
        except (socketio.exceptions.ConnectionError, OSError) as exc:
            raise Lost(repr(exc)) from None
        try:
            if self.package is None:
                pre = await self._call(sio, gone, "prefetch")
                assert pre["ok"], pre
                self.package = pre["package"]
            st = await self._call(sio, gone, "start")
            self._started(st)
            for seq, (q, o) in sorted(self.unacked.items()):  # the queue again, in order
                await self._answer(sio, gone, seq, q, o)
            while not self.finish:  # question after question, then round again changing answers
                q = self.questions[self.seq % len(self.questions)]
                self.seq += 1
                self.unacked[self.seq] = (q["id"], self.rng.choice(q["options"])["id"])
                await self._answer(sio, gone, self.seq, *self.unacked[self.seq])
                await asyncio.sleep(self.rng.uniform(0.05, 0.15))
            done = await self._call(sio, gone, "submit")
            assert done["ok"], done
            self.submitted = done
        finally:
            if sio.connected:
                await sio.disconnect()

    def _started(self, st: dict[str, Any]) -> None:
        who = self.cred["participant_no"]
        if not st.get("ok") or st.get("locked") or st.get("paused") or "ended" in st:
            self.errors.append(f"{who}: start {st}")
            raise AssertionError(st)
        if not self.questions:
            assert self.package is not None
            self.questions = questions(open_paper(self.package, st))
        for q, (seq, o) in self.acked.items():  # the replay holds every acknowledged answer (or a later write's
            later = {o2 for s2, (q2, o2) in self.unacked.items() if q2 == q and s2 > seq}  # whose ack was lost)
            if st["answers"].get(q) not in {o, *later}:
                self.errors.append(f"{who}: start replays {st['answers'].get(q)} for {q}, acknowledged {o}")
        if self.acked and st["seq"] < max(seq for seq, _ in self.acked.values()):
            self.errors.append(f"{who}: start says seq {st['seq']}, below the acknowledged")
        self.seq = max(self.seq, st["seq"])
        self.sessions += 1
        self.acks_since_start = 0

    async def _call(self, sio: socketio.AsyncClient, gone: asyncio.Event, event: str, data: Any = None) -> Any:
        if gone.is_set():
            raise Lost(event)
        call = asyncio.ensure_future(sio.call(event, data, namespace="/exam", timeout=30))
        lost = asyncio.ensure_future(gone.wait())
        done, _ = await asyncio.wait({call, lost}, return_when=asyncio.FIRST_COMPLETED)
        lost.cancel()
        if call not in done:
            call.cancel()
            raise Lost(f"{event}: disconnected")
        try:
            return call.result()
        except (socketio.exceptions.SocketIOError, OSError) as exc:
            raise Lost(f"{event}: {exc!r}") from None

    async def _answer(self, sio: socketio.AsyncClient, gone: asyncio.Event, seq: int, q: str, o: str) -> None:
        ack = await self._call(sio, gone, "answer", {"question": q, "option": o, "seq": seq})
        if not (isinstance(ack, dict) and ack.get("ok") and ack.get("applied") is True and ack.get("seq") == seq
                and ack.get("option") == o):
            self.errors.append(f"{self.cred['participant_no']} seq {seq}: ack {ack}")
            return
        self.unacked.pop(seq, None)
        if seq > self.acked.get(q, (0, ""))[0]:  # a later write to the same question supersedes
            self.acked[q] = (seq, o)
        self.acks_since_start += 1


class Room:
    """The python candidates on an asyncio loop of their own (the test's thread drives Chromium meanwhile)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sitters: list[Sitter] = []
        self.tasks: list[Any] = []

    def add(self, sitter: Sitter) -> None:
        self.sitters.append(sitter)
        self.tasks.append(asyncio.run_coroutine_threadsafe(sitter.run(), self.loop))

    def check(self) -> None:
        for t in self.tasks:
            if t.done() and t.exception() is not None:
                raise t.exception()  # type: ignore[misc]
        errors = [e for s in self.sitters for e in s.errors]
        assert not errors, errors[:10]

    def finish(self, timeout: float = 120) -> None:
        for s in self.sitters:
            s.finish = True
        for t in self.tasks:
            t.result(timeout=timeout)
        self.check()

    def close(self) -> None:
        for t in self.tasks:
            t.cancel()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def _stored(site: Site, participant: str) -> dict[str, str | None]:
    """What the database holds for a candidate, named as their page names it: {question: option}."""
    pmap = site.live.paper_map(participant)
    with db.session_scope(site.db_url) as s:
        rows = s.execute(select(Answer.item_version_id, Answer.option_id)
                         .where(Answer.paper_id == site.paper_id(participant)))
        return {pmap.question_labels[v]: (None if o is None else pmap.option_labels[o]) for v, o in rows}


def _receipt_signs_the_stored_answers(site: Site, participant: str, receipt: str) -> None:
    with db.session_scope(site.db_url) as s:
        paper = s.get(Paper, site.paper_id(participant))
        assert paper.state == "finished" and paper.finish_reason == "submitted", participant
        assert paper.receipt == receipt, participant
        final = {str(v): (None if o is None else str(o)) for v, o in s.execute(
            select(Answer.item_version_id, Answer.option_id).where(Answer.paper_id == paper.id))}
    assert receipt_claims(receipt)["answers_sha256"] == answers_digest(final), (participant, "other answers signed")


def _page_answer(page: Any, n: int) -> str:
    """Answer question ``n`` (0-based) with its second option on the page; the option id."""
    page.locator("#grid .cell").nth(n).click()
    page.locator("#q-number", has_text=re.compile(rf"^{n + 1} /")).wait_for(state="attached")
    option = page.locator("#q-options .option").nth(1)
    oid = option.locator("input").get_attribute("value")
    option.click()
    page.wait_for_selector(f"#q-options input[value='{oid}']:checked")
    return oid


def _all_saved(page: Any) -> None:
    page.locator("#exam-view .queue-state:visible",
                 has_text="Semua perubahan tersimpan di server").first.wait_for(timeout=WAIT_MS)


def _kill_worker_mid_exam(site: Site, browser: Any, page_errors: list[str], kills: int, least: int) -> None:
    """Chromium plus python candidates (at least ``least`` on each worker) answer; the worker holding Chromium is
    SIGKILLed ``kills`` times (the supervisor restarts it each time); everyone resumes, answers on, submits."""
    live = site.live
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    chromium = live.candidate(0)
    log_in_on_page(page, site.url + "/", chromium)
    start_on_page(page)
    page.wait_for_selector("#exam-view:visible #q-options .option")
    on_page: dict[int, str] = {n: _page_answer(page, n) for n in range(2)}
    _all_saved(page)

    room = Room()
    try:
        added = [1]  # the next demo candidate to seat
        for k in range(kills):
            _kill_one(site, page, room, on_page, least, added, k)
        page.click("#submit-button")
        page.click("#finish-confirm")
        page.wait_for_selector("#result-view:visible")
        receipt = page.locator("#receipt").inner_text().strip()
        room.finish()
        stored = _stored(site, chromium["participant_no"])  # the page's questions are in grid order: compare options
        assert sorted(o or "" for o in stored.values()) == sorted(on_page.values()), (stored, on_page)
        _receipt_signs_the_stored_answers(site, chromium["participant_no"], receipt)
        for s in room.sitters:
            who = s.cred["participant_no"]
            assert not s.unacked, (who, "never acknowledged", s.unacked)
            assert _stored(site, who) == {q: o for q, (_seq, o) in s.acked.items()}, (who, "stored != acknowledged")
            assert s.submitted is not None
            _receipt_signs_the_stored_answers(site, who, s.submitted["receipt"])
    finally:
        room.close()
        page.close()
    with db.session_scope(site.db_url) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("proctor.%"))) == 0
    live._cli("audit", "check")  # exits 1 (raises) on any disagreement


def _kill_one(site: Site, page: Any, room: Room, on_page: dict[int, str], least: int, added: list[int], k: int) -> None:
    """Seat python candidates until each worker holds ``least``; SIGKILL the worker holding Chromium; until all
    of its candidates resumed on the other, answer on, a living worker leads and the dead one is back."""
    live, chromium = site.live, site.live.candidate(0)
    victim = site.holder(chromium["participant_no"])
    assert victim is not None and victim in site.workers()
    while True:  # python candidates from new addresses until each worker holds ``least`` (nginx's hash decides)
        held = [site.holder(s.cred["participant_no"]) for s in room.sitters]
        if held.count(victim) >= least and sum(1 for h in held if h not in (None, victim)) >= least:
            break
        n = added[0]
        assert n < len(live.creds["candidates"]), f"nginx put too few candidates on a worker: {held}"
        sitter = Sitter(site.url, live.candidate(n), f"127.0.0.{9 + n}", seed=n)
        room.add(sitter)
        added[0] += 1
        wait_until(lambda s=sitter: site.holder(s.cred["participant_no"]) is not None and bool(s.acked), 60,
                   f"{sitter.cred['participant_no']} connected and answering")
        room.check()
    on_victim = [s for s in room.sitters if site.holder(s.cred["participant_no"]) == victim]
    wait_until(lambda: all(len(s.acked) >= 3 for s in room.sitters), 60, "everyone answering")

    sessions = {s.address: s.sessions for s in on_victim}
    os.kill(victim, signal.SIGKILL)  # mid-exam: writes in flight, their acks lost
    killed = time.monotonic()
    n = len(on_page)
    on_page[n] = _page_answer(page, n)  # while the page reconnects: queued, sent when it is back
    wait_until(lambda: site.holder(chromium["participant_no"]) not in (None, victim), 60,
               "the Chromium candidate resumes on the other worker")
    on_page[n + 1] = _page_answer(page, n + 1)
    _all_saved(page)
    wait_until(lambda: all(s.sessions > sessions[s.address] and s.acks_since_start >= 3 for s in on_victim), 60,
               "the python candidates of the killed worker resume and answer on")
    resumed = time.monotonic() - killed
    room.check()
    for s in on_victim:
        assert site.holder(s.cred["participant_no"]) not in (None, victim)
    wait_until(lambda: _leader(site) not in (None, victim), 15, "a living worker leads")
    wait_until(lambda: len(site.workers()) == 2 and victim not in site.workers(), 120,
               "the supervisor starts the killed worker again")
    print(f"\nkill {k + 1}: Chromium and {len(on_victim)} python candidate(s) moved off worker {victim}; all "
          f"resumed and answering {resumed:.1f} s after the SIGKILL")


pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.browser]


def test_a_killed_worker_s_candidates_resume_on_the_other(site: Site, browser: Any, page_errors: list[str]) -> None:
    _kill_worker_mid_exam(site, browser, page_errors, kills=1, least=2)
    workers = list(site.workers())
    assert site.stop() == 0, site.log.read_text()[-3000:]
    for pid in workers:  # SIGTERM stopped them all
        wait_until(lambda p=pid: not _alive(p), 10, f"worker {pid} stopped")
    assert current_leader(site.db_url) is None
    run_dir = site.live.data_dir / "nginx"  # nginx's configuration, logs (client addresses) and temporary bodies
    assert (run_dir / "nginx.conf").exists() and (run_dir / "access.log").exists()
    loose = [p for p in [run_dir, *run_dir.rglob("*")] if p.stat().st_mode & 0o077]
    assert not loose, f"readable by others: {loose}"


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_many_candidates_and_both_workers_killed_in_turn(tmp_path: Path, browser: Any, page_errors: list[str]) -> None:
    s = Site(tmp_path, candidates=100)
    try:
        s.start()
        _kill_worker_mid_exam(s, browser, page_errors, kills=3, least=8)
    finally:
        s.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie of the supervisor's that was not reaped yet counts as stopped
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False
