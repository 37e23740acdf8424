"""The chaos test of issue 10: candidates answer without pause while the server is SIGKILLed at random moments.

Each candidate is a real python-socketio client (``socketio.AsyncClient``) that behaves like the candidate page:
it numbers its writes from its own counter, which continues from ``start``'s ``seq`` after every reconnect, keeps
every write until an ``ok`` ack arrives (the page's durable queue in miniature) and sends the queue again, in
order, after each ``start``. Meanwhile the server is SIGKILLed ``kills`` times (seeded: the moment is a number of
acks after the last restart came up, one in four during the reconnect storm; the last kill falls among the
submits) and restarted. With two processes (PostgreSQL + Redis) one is killed at a time, alternating; its
candidates reconnect to the other one and go back to their own process later, as nginx would route a reload.
Some dropped candidates log in anew (which only liveness lets in: the dead process's marks are cleared without a
proctor), half of them on a spare PC that lost the queue and the counter and numbers from ``start``'s ``seq``.
Finally everyone submits.

Then, per paper: every write acknowledged ``applied`` and not superseded by a later applied write to the same
question is what is stored (answer and flag); every stored answer and flag is one the candidate sent (nothing is
invented; a write committed just before a kill whose ack was lost is allowed: the queue sends it again and it is
acknowledged as a duplicate, or its PC was given up); every ``stale`` ack names a write the candidate sent;
``start`` never reports a seq beyond what was sent nor below what was acknowledged; a submit whose reply a kill
lost is reported by ``start`` (``ended``, the same receipt) and a second submit returns the same; the receipt
signs the stored answers and the score is the stored one; ``exam-engine audit check`` exits 0; no proctor acted.

    EXAM_CHAOS_SEED=7 pytest -s tests/candidate/test_chaos.py     # another seed; figures printed with -s
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from sqlalchemy import func, select

from ground import db
from ground.models import Answer, AuditEvent, Paper, Result
from ground.models import Candidate as CandidateRow
from scoring.receipts import answers_digest
from tests.conftest import drop_postgres_database, fresh_postgres_database, need_redis
from tests.live import LiveServer, open_paper, questions, receipt_claims

SEED = int(os.environ.get("EXAM_CHAOS_SEED", "20261130"))
WINDOW = 3  # writes a client keeps in flight (the page sends its whole queue without waiting)
QUESTIONS = 10  # each client answers within a few questions, so writes supersede each other often
ACK_TIMEOUT_S = 30.0
THINK_S = 0.1  # between a client's new writes: uniform 0..THINK_S s (seeded): up to ~20 writes/s per candidate


class Lost(Exception):
    """The connection is gone (the server was killed, or the client moved): reconnect, start, replay."""


@dataclass(frozen=True)
class Write:
    kind: str  # "answer" | "flag"
    question: str
    value: str | bool | None  # the option (None clears) or the flag

    def payload(self, seq: int) -> dict[str, Any]:
        name = "option" if self.kind == "answer" else "flagged"
        return {"question": self.question, name: self.value, "seq": seq}


@dataclass
class Figures:
    writes: int = 0
    applied: int = 0
    duplicates: int = 0
    stale: int = 0
    resends: int = 0
    storage_errors: int = 0
    relogins: int = 0
    login_waits: list[float] = field(default_factory=list)
    moves_home: int = 0
    spare_pcs: int = 0
    ended_at_start: int = 0
    stored_from_abandoned: int = 0
    ack_timeouts: int = 0
    resume_s: list[float] = field(default_factory=list)
    resume_login_s: list[float] = field(default_factory=list)
    restart_s: list[float] = field(default_factory=list)


class Room:
    """The served installation (one or two processes), the clients, the kills, and what everyone saw."""

    def __init__(self, servers: list[LiveServer], candidates: int, kills: int, seed: int, relogin: float) -> None:
        self.servers = servers
        self.seed = seed
        self.kills = kills
        self.relogin = relogin
        self.rng = random.Random(seed)
        self.up = [asyncio.Event() for _ in servers]
        for ev in self.up:
            ev.set()
        self.finishing = asyncio.Event()
        self.changed = asyncio.Event()
        self.acks = 0
        self.submits = 0
        self.fig = Figures()
        self.errors: list[str] = []
        self.devices = [Device(self, i) for i in range(candidates)]
        self.http: aiohttp.ClientSession | None = None

    def note(self) -> None:
        self.changed.set()

    def fail(self, message: str) -> None:
        self.errors.append(message)
        self.note()

    async def until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait for a condition on acks and sessions (woken by every ack, start and disconnect)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self.errors:
                raise AssertionError(f"while waiting for {what}: {self.errors[:5]}")
            left = deadline - time.monotonic()
            assert left > 0, f"not within {timeout} s: {what}"
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), timeout=min(left, 1.0))
            except TimeoutError:
                pass

    async def route(self, device: Device) -> int:
        """The process a client reaches: its own if up, else another one that is (nginx's ip_hash with a backup)."""
        while True:
            for k in [device.home, *[k for k in range(len(self.servers)) if k != device.home]]:
                if self.up[k].is_set():
                    return k
            waits = [asyncio.ensure_future(ev.wait()) for ev in self.up]
            done, pending = await asyncio.wait(waits, timeout=60, return_when=asyncio.FIRST_COMPLETED)
            for w in pending:
                w.cancel()
            assert done, "no server came back"

    async def _kill(self, k: int) -> None:
        """SIGKILL process ``k``, note whom it dropped (some lose their token), restart it, wait for its health."""
        killed_at = time.monotonic()
        for d in self.devices:  # whom it drops (taken before the kill: they reconnect at once)
            if d.at == k and d.lost_at is None and d.submitted is None:
                d.lost_at = killed_at
                if self.rng.random() < self.relogin:
                    d.must_login = True  # its page lost the token: a fresh login ...
                    d.to_spare = self.rng.random() < 0.5  # ... on a spare PC: its queue and counter gone too
        self.up[k].clear()
        await asyncio.to_thread(self.servers[k].kill)
        began = time.monotonic()
        await asyncio.to_thread(self.servers[k].start)  # returns once the health endpoint answers
        self.fig.restart_s.append(time.monotonic() - began)
        self.up[k].set()
        self.note()

    async def chaos(self) -> None:
        """Kill at seeded moments while everyone answers (the last kill falls among the submits), restart each time."""
        n = len(self.devices)
        since = self.acks
        for k in range(max(0, self.kills - 1)):
            # a moment counted in acks since the last restart came up; one in four falls in the reconnect storm
            threshold = self.rng.randint(0, n) if self.rng.random() < 0.25 else self.rng.randint(2 * n, 8 * n)
            await self.until(lambda t=threshold, s=since: self.acks - s >= t, 120, f"{threshold} acks before kill {k}")
            await self._kill(k % len(self.servers))
            since = self.acks
        await self.until(lambda: all(d.live and d.lost_at is None for d in self.devices), 120,
                         "every candidate back without a proctor")
        since = self.acks
        await self.until(lambda: self.acks - since >= 2 * n, 120, "a last round of answers")
        self.finishing.set()
        for d in self.devices:
            d.signal.set()
        if self.kills:  # a crash while the room submits: a submit committed whose reply was lost is asked again
            threshold = self.rng.randint(0, n // 3)
            await self.until(lambda: self.submits >= threshold, 120, f"{threshold} submits before the last kill")
            await self._kill((self.kills - 1) % len(self.servers))


class Device:
    """One candidate's page: a counter, a queue of unacknowledged writes, and every ack it received."""

    def __init__(self, room: Room, i: int) -> None:
        self.room = room
        self.i = i
        self.cred = room.servers[0].candidate(i)
        self.rng = random.Random(f"{room.seed}:{i}")
        self.home = i % len(room.servers)
        self.at: int | None = None  # the process of the current (or last) connection
        self.token: str | None = None
        self.must_login = True
        self.relogged = False  # logged in anew since the kill that dropped it
        self.live = False  # connected and started
        self.lost_at: float | None = None  # when the kill that dropped it happened (until it starts again)
        self.counter = 0  # the highest seq this page used or the server reported
        self.highest = 0  # the highest seq any of this candidate's PCs sent
        self.to_spare = False
        self.abandoned: dict[int, Write] = {}  # writes left unacknowledged on a PC given up (maybe stored)
        self.sent: dict[int, Write] = {}
        self.acks: dict[int, list[dict[str, Any]]] = {}
        self.acked = 0
        self.unacked: set[int] = set()  # the durable queue: sent, no ok ack yet
        self.inflight: set[int] = set()  # sent on the current connection, no ack yet
        self.signal = asyncio.Event()
        self.package: dict[str, str] | None = None
        self.questions: list[dict[str, Any]] = []
        self.submitted: dict[str, Any] | None = None
        self.ended_start: dict[str, Any] | None = None  # a start after the submit committed (its reply lost)
        self.sessions = 0

    # ---- the ack: judged at once -----------------------------------------------------------------------------
    def _acked(self, seq: int, ack: Any) -> None:
        self.inflight.discard(seq)
        if seq not in self.sent:  # a late ack to a PC given up
            return
        room, fig, w = self.room, self.room.fig, self.sent[seq]
        self.acks.setdefault(seq, []).append(ack)
        self.acked += 1
        name = "option" if w.kind == "answer" else "flagged"
        who = f"{self.cred['participant_no']} seq {seq} {w}"
        if not isinstance(ack, dict) or ack.get("ok") is not True:
            code = ack.get("error", {}).get("code") if isinstance(ack, dict) else None
            if code == "storage_error":  # "retry": it stays in the queue
                fig.storage_errors += 1
            else:
                room.fail(f"{who}: refused {ack}")
        elif ack.get("applied") is True:
            self.unacked.discard(seq)
            fig.applied += 1
            fig.duplicates += bool(ack.get("duplicate"))
            if ack.get("seq") != seq or ack.get(name) != w.value:
                room.fail(f"{who}: applied ack names another write: {ack}")
        elif ack.get("applied") is False:
            self.unacked.discard(seq)
            fig.stale += 1
            held = self.sent.get(ack.get("seq"))  # type: ignore[arg-type]
            if ack.get("reason") != "stale" or not isinstance(ack.get("seq"), int) or ack["seq"] <= seq:
                room.fail(f"{who}: a stale ack must name a newer stored write: {ack}")
            elif held is None or (held.kind, held.question, held.value) != (w.kind, w.question, ack.get(name)):
                room.fail(f"{who}: the stale ack names a write this client never sent: {ack}")
        else:
            room.fail(f"{who}: an ok ack must say applied: {ack}")
        room.acks += 1
        room.note()
        self.signal.set()

    # ---- the connection ------------------------------------------------------------------------------------
    async def _emit(self, sio: socketio.AsyncClient, event: str, data: Any, callback: Callable[..., None]) -> None:
        try:
            await sio.emit(event, data, namespace="/exam", callback=callback)
        except (socketio.exceptions.SocketIOError, ConnectionError, OSError) as exc:
            raise Lost(f"emit {event}: {exc!r}") from exc

    async def _call(self, sio: socketio.AsyncClient, gone: asyncio.Event, event: str, timeout: float = 60) -> Any:
        box: list[Any] = []

        def got(*args: Any) -> None:
            box.append(args[0] if args else None)
            self.signal.set()

        self.signal.clear()
        await self._emit(sio, event, None, got)
        deadline = time.monotonic() + timeout
        while not box:
            if gone.is_set():
                raise Lost(f"{event}: disconnected")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.cred['participant_no']}: no ack to {event} in {timeout} s")
            self.signal.clear()
            try:
                await asyncio.wait_for(self.signal.wait(), timeout=1.0)
            except TimeoutError:
                pass
        return box[0]

    async def _send(self, sio: socketio.AsyncClient, seq: int) -> None:
        self.inflight.add(seq)
        self.room.fig.writes += 1
        await self._emit(sio, self.sent[seq].kind, self.sent[seq].payload(seq),
                         lambda *a, s=seq: self._acked(s, a[0] if a else None))

    def _next(self) -> int:
        q = self.rng.choice(self.questions)
        if self.rng.random() < 0.2:
            w = Write("flag", q["id"], self.rng.random() < 0.6)
        else:
            w = Write("answer", q["id"], None if self.rng.random() < 0.1 else self.rng.choice(q["options"])["id"])
        self.counter += 1
        self.highest = max(self.highest, self.counter)
        self.sent[self.counter] = w
        self.unacked.add(self.counter)
        return self.counter

    async def _login(self, k: int) -> None:
        """A fresh login; while the mark of a killed process stands it is refused (409) until liveness clears it."""
        room, url = self.room, self.room.servers[k].url
        began = time.monotonic()
        while True:
            assert room.http is not None
            try:
                async with room.http.post(url + "/api/v1/candidate/login", json=self.cred) as r:
                    status, body = r.status, await r.json()
            except (aiohttp.ClientError, OSError):
                raise Lost("login: server down") from None
            if status == 200:
                self.token, self.must_login = body["access_token"], False
                self.relogged = self.lost_at is not None
                if self.sessions:
                    room.fig.relogins += 1
                    room.fig.login_waits.append(time.monotonic() - began)
                return
            if status != 409 or body["error"]["code"] != "already_connected":
                room.fail(f"{self.cred['participant_no']}: login refused {status} {body}")
                raise AssertionError(body)
            assert time.monotonic() - began < 30, "the mark of a stopped process was never cleared"
            await asyncio.sleep(0.25)  # polling the login itself: it succeeds once liveness cleared the mark

    async def _session(self, k: int) -> None:
        """Connect, start, send the queue again, answer until told to finish, then submit; Lost if dropped."""
        room = self.room
        url = room.servers[k].url
        sio = socketio.AsyncClient(reconnection=False, http_session=room.http)
        gone = asyncio.Event()

        def dropped(*_a: Any) -> None:
            gone.set()
            self.signal.set()

        sio.on("disconnect", dropped, namespace="/exam")
        self.at = k
        try:
            try:
                await asyncio.wait_for(sio.connect(url, namespaces=["/exam"], auth={"access_token": self.token},
                                                   transports=["websocket"], wait_timeout=10), timeout=30)
            except (socketio.exceptions.ConnectionError, TimeoutError) as exc:
                if "session_replaced" in str(exc) or "bad_token" in str(exc):
                    room.fail(f"{self.cred['participant_no']}: token refused: {exc}")
                raise Lost(f"connect: {exc}") from exc
            self.sessions += 1
            if self.package is None:
                pre = await self._call(sio, gone, "prefetch")
                assert pre["ok"], pre
                self.package = pre["package"]
            st = await self._call(sio, gone, "start")
            self._started(st)
            for seq in sorted(self.unacked):  # the queue again, in order
                room.fig.resends += 1
                await self._send(sio, seq)
            next_at = last_ack = time.monotonic()
            while True:
                if gone.is_set():
                    raise Lost("disconnected")
                if room.finishing.is_set():
                    if not self.unacked:
                        break
                elif self.at != self.home and room.up[self.home].is_set() and self.rng.random() < 0.05:
                    room.fig.moves_home += 1  # a reload: nginx routes it to its own process again
                    await sio.disconnect()
                    raise Lost("home")
                for seq in sorted(self.unacked - self.inflight):  # refused with storage_error: again
                    room.fig.resends += 1
                    await self._send(sio, seq)
                now = time.monotonic()
                if not room.finishing.is_set() and len(self.inflight) < WINDOW and now >= next_at:
                    if not self.inflight:
                        last_ack = now  # the ack clock runs while something is in flight
                    await self._send(sio, self._next())
                    next_at = now + self.rng.uniform(0, THINK_S)  # a quick candidate; bursts up to WINDOW
                    continue
                self.signal.clear()
                if gone.is_set() or (not self.inflight and room.finishing.is_set()):
                    continue
                if self.inflight and now - last_ack > ACK_TIMEOUT_S:
                    room.fig.ack_timeouts += 1
                    raise Lost("no ack")
                acks_before = self.acked
                idle = room.finishing.is_set() or len(self.inflight) >= WINDOW
                wake = ACK_TIMEOUT_S if idle else next_at - now
                try:
                    await asyncio.wait_for(self.signal.wait(), timeout=max(0.001, min(wake, ACK_TIMEOUT_S)))
                except TimeoutError:
                    pass
                if self.acked != acks_before:
                    last_ack = time.monotonic()
            done = await self._call(sio, gone, "submit")
            if not done.get("ok"):
                room.fail(f"{self.cred['participant_no']}: submit refused {done}")
                raise AssertionError(done)
            self.submitted = done
            room.submits += 1
            room.note()
        finally:
            self.live = False
            self.inflight.clear()
            if sio.connected:
                await sio.disconnect()

    def spare_pc(self) -> None:
        """The candidate moves to a spare PC: what the old one had not sent is lost; the new one starts from 0."""
        for seq in self.unacked:
            self.abandoned[seq] = self.sent.pop(seq)
            self.acks.pop(seq, None)  # a storage_error refusal, if any
        self.unacked.clear()
        self.counter = 0  # the new PC numbers from start's seq
        self.to_spare = False
        self.room.fig.spare_pcs += 1

    def _started(self, st: dict[str, Any]) -> None:
        room, who = self.room, self.cred["participant_no"]
        ended = "ended" in st and room.finishing.is_set() and st["ended"] == "submitted"  # submitted, reply lost
        if not st.get("ok") or st.get("locked") or st.get("paused") or ("ended" in st and not ended):
            room.fail(f"{who}: start {st}")
            raise AssertionError(st)
        if ended:
            self.ended_start = st
        applied = [s for s, acks in self.acks.items() if any(a.get("applied") is True for a in acks)]
        if st["seq"] > self.highest:
            room.fail(f"{who}: start says seq {st['seq']}, but this candidate never sent beyond {self.highest}")
        if applied and st["seq"] < max(applied):
            room.fail(f"{who}: start says seq {st['seq']}, below the acknowledged {max(applied)}")
        self.counter = max(self.counter, st["seq"])  # continue the paper's sequence from where the server says
        if not self.questions:
            assert self.package is not None
            self.questions = self.rng.sample(questions(open_paper(self.package, st)), QUESTIONS)
        if self.lost_at is not None:  # back after a kill: with its token at once, with a fresh login after liveness
            (room.fig.resume_login_s if self.relogged else room.fig.resume_s).append(time.monotonic() - self.lost_at)
            self.lost_at = None
        self.relogged = False
        self.live = True
        room.note()

    async def run(self) -> None:
        while True:
            k = await self.room.route(self)
            try:
                if self.to_spare:
                    self.spare_pc()
                if self.must_login:
                    await self._login(k)
                await self._session(k)
                return
            except Lost as why:
                if str(why) != "home":  # as socket.io's reconnection delay (route waits while no process is up)
                    await asyncio.sleep(0.1)


async def _sit(room: Room, budget_s: float) -> None:
    async with aiohttp.ClientSession() as http:
        room.http = http
        devices = [asyncio.ensure_future(d.run()) for d in room.devices]
        chaos = asyncio.ensure_future(room.chaos())
        try:
            await asyncio.wait_for(asyncio.gather(chaos, *devices), timeout=budget_s)
        finally:
            for t in [chaos, *devices]:
                t.cancel()
            await asyncio.gather(chaos, *devices, return_exceptions=True)


def _last_applied(d: Device, kind: str) -> dict[str, int]:
    """Per question, the highest seq of this kind acknowledged as applied (later ones supersede earlier)."""
    last: dict[str, int] = {}
    for seq, acks in d.acks.items():
        w = d.sent[seq]
        if w.kind == kind and any(a.get("applied") is True for a in acks):
            last[w.question] = max(last.get(w.question, 0), seq)
    return last


def _check_papers(server: LiveServer, room: Room) -> int:
    """Per paper: stored = acknowledged, nothing invented, receipt and score agree; returns the answers stored."""
    stored_total = 0
    with db.session_scope(server.db_url) as s:
        for d in room.devices:
            who = d.cred["participant_no"]
            assert not d.unacked, f"{who}: writes never acknowledged: {sorted(d.unacked)}"
            assert d.submitted and d.submitted.get("ok"), (who, d.submitted)
            paper = s.scalar(select(Paper).join(CandidateRow, CandidateRow.id == Paper.candidate_id)
                             .where(CandidateRow.participant_no == who))
            assert paper.state == "finished" and paper.finish_reason == "submitted" and not paper.locked, who
            pmap = server.paper_map(who)  # the devices speak the paper's labels, the database bank ids
            rows = {pmap.question_labels[a.item_version_id]: a
                    for a in s.scalars(select(Answer).where(Answer.paper_id == paper.id))}
            for kind, seq_of, value_of in (
                ("answer", lambda a: a.seq, lambda a, shown=pmap.option_labels: shown.get(a.option_id)),
                ("flag", lambda a: a.flag_seq, lambda a: bool(a.flagged)),
            ):
                acked = _last_applied(d, kind)
                for q, a in rows.items():
                    seq = seq_of(a)
                    if seq == 0:  # the row exists for the other kind only: nothing of this kind was stored
                        assert value_of(a) in (None, False), (who, kind, q, "a value without a seq")
                        assert q not in acked, (who, kind, q, f"acked seq {acked.get(q)} is not stored")
                        continue
                    here = Write(kind, q, value_of(a))
                    sent, given_up = d.sent.get(seq), d.abandoned.get(seq)
                    assert here in (sent, given_up), (who, kind, q, seq, here, "stored, but never sent", sent, given_up)
                    assert seq >= acked.get(q, 0), (who, kind, q, f"stored seq {seq} < acked {acked[q]}: lost")
                    if here == sent:  # every write of a PC still in use was acknowledged in the end
                        assert seq == acked.get(q), (who, kind, q, "stored, but its ack never said applied")
                    else:  # sent by a PC given up, committed before the kill (its ack lost); never a reused seq
                        assert sent is None, (who, kind, q, seq, "a write given up is stored, start said lower")
                        d.room.fig.stored_from_abandoned += 1
                for q, seq in acked.items():
                    assert q in rows and seq_of(rows[q]) >= seq, (who, kind, q, seq, "acknowledged but not stored")
            final = {str(a.item_version_id): (None if a.option_id is None else str(a.option_id)) for a in rows.values()}
            stored_total += sum(1 for o in final.values() if o is not None)
            claims = receipt_claims(paper.receipt)
            assert d.submitted["receipt"] == paper.receipt, who
            if d.ended_start is not None:  # finished before its submit reply arrived: start and submit agree
                assert d.ended_start["receipt"] == paper.receipt and d.ended_start["result"] == d.submitted["result"]
                room.fig.ended_at_start += 1
            assert claims["answers_sha256"] == answers_digest(final), (who, "the receipt signs other answers")
            result = s.scalar(select(Result).where(Result.paper_id == paper.id))
            assert d.submitted["result"]["total"] == result.total == claims["total"], who
        proctor_rows = s.scalar(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.action.like("proctor.%")))
        assert proctor_rows == 0, "no proctor acted"
    return stored_total


def _pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def _spread(values: list[float]) -> str:
    if not values:
        return "none"
    return (f"p50 {_pct(values, 0.5):.2f} s, max {max(values):.2f} s (mean {statistics.fmean(values):.2f} s, "
            f"{len(values)} resumes)")


def _chaos(servers: list[LiveServer], candidates: int, kills: int, relogin: float, label: str, seeded: float) -> None:
    began = time.monotonic()
    asyncio.run(_start_all(servers))
    room = Room(servers, candidates, kills, SEED, relogin)
    sat = time.monotonic()
    asyncio.run(_sit(room, budget_s=120 + 20 * kills + candidates))
    ran = time.monotonic() - sat
    assert not room.errors, room.errors[:10]
    answered = _check_papers(servers[0], room)
    audit = servers[0]._cli("audit", "check")  # exit 1 raises
    f = room.fig
    print(
        f"\nchaos [{label}] seed {SEED}: {candidates} candidates, {kills} SIGKILLs (the last among the submits) "
        f"over {len(servers)} process(es): "
        f"seeding {seeded:.1f} s, start {sat - began:.1f} s, chaos {ran:.1f} s, "
        f"checks {time.monotonic() - sat - ran:.1f} s\n"
        f"  writes sent {f.writes} (resends {f.resends}), acks applied {f.applied} (duplicates {f.duplicates}), "
        f"stale {f.stale}, storage_error {f.storage_errors}, ack timeouts {f.ack_timeouts}\n"
        f"  answers stored at submit {answered}; relogins {f.relogins} (waited p50 {_pct(f.login_waits, 0.5):.2f} s, "
        f"max {max(f.login_waits, default=0):.2f} s; {f.spare_pcs} on a spare PC, "
        f"{f.stored_from_abandoned} of their lost writes stored), moves home {f.moves_home}, "
        f"submitted before a kill but told so only by start {f.ended_at_start}\n"
        f"  restart p50 {_pct(f.restart_s, 0.5):.2f} s, max {max(f.restart_s, default=0):.2f} s; from the kill to "
        f"a started paper: {_spread(f.resume_s)} with the token, {_spread(f.resume_login_s)} by a fresh login\n"
        f"  audit check: {audit.strip().splitlines()[-1] if audit.strip() else ''}"
    )
    assert f.applied >= kills * candidates, "the candidates kept answering"
    assert len(f.restart_s) == kills


async def _start_all(servers: list[LiveServer]) -> None:
    """Start the processes side by side (each returns once its health endpoint answers)."""
    await asyncio.gather(*(asyncio.to_thread(srv.start) for srv in servers))


def _sqlite(tmp_path: Path, candidates: int, kills: int) -> None:
    began = time.monotonic()
    server = LiveServer(tmp_path / "data", None, candidates=candidates)
    try:
        _chaos([server], candidates, kills, relogin=0.1, label="SQLite, one process", seeded=time.monotonic() - began)
    finally:
        server.stop()


def _postgres_two(tmp_path: Path, candidates: int, kills: int) -> None:
    redis = need_redis()
    url, name = fresh_postgres_database()
    env = {"EXAM_REDIS_URL": redis, "EXAM_REDIS_CHANNEL": f"exam-test-{uuid.uuid4().hex[:8]}"}
    servers: list[LiveServer] = []
    began = time.monotonic()
    try:
        servers.append(LiveServer(tmp_path / "data", url, candidates=candidates, **env))
        servers.append(LiveServer(tmp_path / "data", url, seed=False, **env))
        _chaos(servers, candidates, kills, relogin=0.2, label="PostgreSQL, two processes behind Redis",
               seeded=time.monotonic() - began)
    finally:
        for srv in servers:
            srv.stop()
        drop_postgres_database(name)


def test_chaos_sqlite(tmp_path: Path) -> None:
    _sqlite(tmp_path, candidates=30, kills=4)


@pytest.mark.postgres
@pytest.mark.redis
def test_chaos_postgres_two_processes(tmp_path: Path) -> None:
    _postgres_two(tmp_path, candidates=30, kills=4)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_chaos_sqlite_hundred_candidates_twenty_kills(tmp_path: Path) -> None:
    _sqlite(tmp_path, candidates=100, kills=20)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(1800)
def test_chaos_postgres_two_processes_hundred_candidates_twenty_kills(tmp_path: Path) -> None:
    _postgres_two(tmp_path, candidates=100, kills=20)
