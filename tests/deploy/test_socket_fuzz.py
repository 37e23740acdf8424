"""Hostile and valid events over ``/exam`` and ``/proctor``: no ``internal``, one ack shape every time, nothing lost.

A hypothesis state machine drives a real ``exam-engine serve`` process with the real python-socketio client: a few
demo candidates log in, connect, disconnect and reconnect; two staff members (the room's proctor and the committee)
do the same on ``/proctor``. Most steps send a few events of one namespace, every handled name plus reserved and
unknown ones, with a payload drawn from valid shapes (the paper's own question and option labels, the next seq, the
room's ids) or hostile ones (arbitrary JSON, edge integers such as 2**80 or -5, floats, long text, bytes, deep
nesting, several arguments). After every event the ack must be a dict that is ``ok`` or carries ``error`` with a
string ``code`` (never ``internal``) and a non-empty ``message`` (a message over the server's 64 KiB must instead
close the connection), and the server must answer its health check after every step. Every answer and flag
acknowledged as applied is remembered: ``start`` must give them back, a ``stale`` or ``duplicate`` ack must name
them, and at the end the database must hold exactly them, with no traceback in the server's log. ``make test`` runs
a short version (a few hundred events); ``-m slow`` the 10,000-event one on SQLite and PostgreSQL.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import pytest
import requests
import socketio
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from socketio.packet import EVENT, Packet
from sqlalchemy import select

from candidate.live.exam_namespace import ExamNamespace
from ground import db
from ground.models import Answer, Paper, Room
from ground.models import Candidate as CandidateRow
from ground.sockets import RESERVED_EVENTS
from proctor.actions import ACTIONS
from proctor.live import ProctorNamespace
from tests.conftest import served
from tests.fuzzing import json_values, long_texts, nested, scalars
from tests.live import Candidate, LiveServer, open_paper, questions, wait_until
from tests.proctor.clients import Proctor, staff_creds

EXAM_EVENTS = ("prefetch", "start", "answer", "flag", "submit", "focus")
PROCTOR_EVENTS = ("rooms", "join", "feed", *ACTIONS)
RESERVED = tuple(sorted(RESERVED_EVENTS))
UNKNOWN = ("nosuch", "message", "hot_answer", "on_answer", "trigger_event", "_act", "__init__", "answer ", "ANSWER")
# how often each name is drawn: mostly the writes a candidate really sends, a submit now and then (it ends a paper)
EXAM_WEIGHTED = ("answer",) * 12 + ("flag",) * 6 + ("start",) * 3 + ("prefetch", "focus") * 2 + ("submit",)
KEYS = ("question", "option", "seq", "flagged", "kind", "room", "candidate", "seconds", "reason", "message", "kinds",
        "limit", "incidents")
SLOTS = 3  # candidates in play in one example
FEED_KINDS = ("login", "connected", "disconnected", "start", "focus_lost", "proctor.extend", "finish:submitted")

hostile = json_values(KEYS) | st.binary(max_size=16) | long_texts | st.integers(1, 900).map(nested)


class Args(tuple):  # type: ignore[type-arg]
    """Several arguments in one event (python-socketio sends a tuple as separate arguments)."""


arguments = st.tuples(hostile, hostile).map(Args)
FOCUS_KINDS = ("blur", "fullscreen_exit", "visibility_hidden")


MESSAGE_LIMIT = 64 * 1024  # the server's max_http_buffer_size: a longer message closes the connection


def message_size(namespace: str, event: str, payload: Any) -> int:
    """The bytes of the websocket message python-socketio sends for this event (engine.io's "4", then the packet)."""
    args = list(payload) if isinstance(payload, Args) else [] if payload is None else [payload]
    encoded = Packet(EVENT, data=[event, *args], namespace=namespace, id=1).encode()
    return 1 + len((encoded[0] if isinstance(encoded, list) else encoded).encode())


class ExamRecipe(NamedTuple):
    """One candidate event, drawn before knowing the paper: ``pick``/``choice`` choose a question and an option
    label, ``seq`` is "next", "stale", "far" or a hostile value."""

    event: str
    shape: int
    pick: int
    choice: int
    seq: Any
    flag: bool
    noise: Any
    other: Any


class ProctorRecipe(NamedTuple):
    """One staff event: ``keys`` (16 bits) chooses which optional fields are sent and which of them are hostile."""

    event: str
    shape: int
    pick: int
    keys: int
    seconds: int
    kinds: list[str]
    flag: bool
    text: Any
    noise: Any
    other: Any


texts = st.sampled_from(["fuzz", " fuzz ", "", "   "]) | st.text(max_size=30) | long_texts | st.integers(490, 510).map(
    lambda n: "r" * n)



def names(listed: tuple[str, ...]) -> st.SearchStrategy[str]:
    """One of ``listed`` or, as often as any one of them, a random name (one shape of draw either way)."""
    return st.tuples(st.sampled_from((*listed, "")), st.text(min_size=1, max_size=20)).map(lambda t: t[0] or t[1])


exam_names = names(EXAM_WEIGHTED + RESERVED + UNKNOWN)
exam_recipes = st.builds(
    ExamRecipe, exam_names, st.integers(0, 4), st.integers(0, 2**16), st.integers(0, 2**16),
    st.sampled_from(["next", "stale", "far"]) | st.sampled_from([2**62, 2**62 + 1, 0, -1]) | scalars, st.booleans(),
    hostile, hostile)
proctor_names = names(PROCTOR_EVENTS + PROCTOR_EVENTS + RESERVED + UNKNOWN)
proctor_recipes = st.builds(
    ProctorRecipe, proctor_names, st.integers(0, 5), st.integers(0, 2**16), st.integers(0, 2**16 - 1),
    st.integers(-120, 600).filter(bool), st.lists(st.sampled_from(FEED_KINDS), max_size=3), st.booleans(), texts,
    hostile, hostile)


def ack_error(ack: Any, what: str) -> str | None:
    """The invariant on every ack: a dict, ``ok`` true, or the one error shape with a code that is not ``internal``;
    returns the error code (None when ok)."""
    assert isinstance(ack, dict), f"{what}: the ack is not an object: {ack!r}"
    if ack.get("ok") is True:
        return None
    assert ack.get("ok") is False and set(ack) == {"ok", "error"}, f"{what}: {ack!r}"
    error = ack["error"]
    assert isinstance(error, dict) and isinstance(error.get("code"), str), f"{what}: {ack!r}"
    assert isinstance(error.get("message"), str) and error["message"].strip(), f"{what}: {ack!r}"
    assert error["code"] != "internal", f"{what}: {ack!r}"
    return error["code"]


def http_error(r: requests.Response, what: str) -> str | None:
    """The same for an HTTP reply: below 500 and ``{"error": {"code", "message"}}`` when refused."""
    assert r.status_code < 500, f"{what}: {r.status_code} {r.text[:300]}"
    if r.status_code < 400:
        return None
    body = r.json()
    assert set(body) == {"error"} and isinstance(body["error"].get("code"), str), f"{what}: {body}"
    assert body["error"]["code"] != "internal" and body["error"].get("message"), f"{what}: {body}"
    return body["error"]["code"]


class World:
    """What outlives one example: the server, tokens, the staff sign-ins, the opened papers and every write the
    server acknowledged as applied (examples share the server, so they share this record)."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.room = server.room_id()
        self.count = len(server.creds["candidates"])
        with db.session_scope(server.db_url) as s:
            ids = dict(s.execute(select(CandidateRow.participant_no, CandidateRow.id)).all())
        self.ids = [ids[c["participant_no"]] for c in server.creds["candidates"]]
        self.room_token: str = server.creds["room_token"]
        self.tokens: dict[int, str] = {}
        self.packages: dict[int, dict[str, str]] = {}
        self.papers: dict[int, dict[str, list[str]]] = {}  # candidate -> {question label: [option labels]}
        self.answers: dict[tuple[int, str], tuple[int, str | None]] = {}  # applied: (candidate, q) -> (seq, option)
        self.flags: dict[tuple[int, str], tuple[int, bool]] = {}
        self.next_seq: dict[int, int] = {}
        self.staff = {role: Proctor(server, *staff_creds(server, role), connect=False)
                      for role in ("proctor", "committee")}
        self.sent = 0
        self.names: Counter[tuple[str, str]] = Counter()  # (namespace, event) sent
        self.codes: Counter[tuple[str, str]] = Counter()  # (namespace, code) received
        self.applied = 0
        self.closing: list[threading.Thread] = []

    def let_go(self, close: Callable[[], None]) -> None:
        """Close a client in the background: the server hears it at once, but python-engineio's own close waits
        3 s for a close frame its read loop has already taken."""
        thread = threading.Thread(target=close, daemon=True)
        thread.start()
        self.closing.append(thread)

    def login(self, i: int) -> str | None:
        """A fresh access token for candidate ``i`` (None when refused: room closed, still connected, …)."""
        cred = {**self.server.candidate(i), "room_token": self.room_token}
        r = requests.post(self.server.url + "/api/v1/candidate/login", json=cred, timeout=20)
        code = http_error(r, f"login {i}")
        self.codes[("login", code or "ok")] += 1
        if code is None:
            self.tokens[i] = r.json()["access_token"]
            return self.tokens[i]
        self.tokens.pop(i, None)
        return None

    def open_candidates(self) -> list[int]:
        """Demo candidates whose papers are not finished (the examples play with these while there are any)."""
        with db.session_scope(self.server.db_url) as s:
            open_ids = set(s.scalars(select(Paper.candidate_id).where(Paper.state != "finished")))
        return [i for i in range(self.count) if self.ids[i] in open_ids]

    def saw_start(self, i: int, ack: dict[str, Any]) -> None:
        """A successful ``start``: it gives back every applied write; with the key, the paper's labels are learnt."""
        self.next_seq[i] = max(self.next_seq.get(i, 1), ack["seq"] + 1)
        mine = [(q, v) for (c, q), v in self.answers.items() if c == i]
        flagged = [(q, v) for (c, q), v in self.flags.items() if c == i]
        assert ack["seq"] == max([v[0] for _q, v in mine + flagged], default=0), ("start: seq", ack["seq"])
        if "key" not in ack:
            return
        assert ack["answers"] == {q: o for q, (_s, o) in mine if o is not None}, "start gives back every answer"
        assert sorted(ack["flags"]) == sorted(q for q, (_s, f) in flagged if f), "start gives back every flag"
        if i not in self.papers and i in self.packages:
            paper = open_paper(self.packages[i], ack)
            self.papers[i] = {q["id"]: [o["id"] for o in q["options"]] for q in questions(paper)}

    def saw_write(self, i: int, kind: str, payload: Any, ack: dict[str, Any]) -> None:
        """An ``ok`` answer/flag ack: applied (remember it), a duplicate or stale (it must name what was applied)."""
        value = "option" if kind == "answer" else "flagged"
        model = self.answers if kind == "answer" else self.flags
        assert isinstance(ack["applied"], bool) and isinstance(ack["seq"], int), ack
        key = (i, payload["question"])
        if ack["applied"] and not ack.get("duplicate"):
            assert (ack["seq"], ack[value]) == (payload["seq"], payload.get(value)), (payload, ack)
            assert ack["seq"] > model.get(key, (0, None))[0], (payload, ack, model.get(key))
            model[key] = (ack["seq"], ack[value])  # type: ignore[assignment]
            self.applied += 1
        else:
            assert model.get(key) == (ack["seq"], ack[value]), ("what the server says it holds", payload, ack)
            assert ack.get("duplicate") or ack.get("reason") == "stale", ack
        self.next_seq[i] = max(self.next_seq.get(i, 1), ack["seq"] + 1)

    def check_database(self) -> int:
        """Every applied write is stored and nothing else is: (candidate, label) -> (seq, option / flagged)."""
        checked = 0
        with db.session_scope(self.server.db_url) as s:
            for i in sorted({c for c, _q in self.answers} | {c for c, _q in self.flags}):
                paper = s.scalar(select(Paper).where(Paper.candidate_id == self.ids[i]))
                pmap = self.server.paper_map(i)
                rows = list(s.scalars(select(Answer).where(Answer.paper_id == paper.id)))
                stored = {pmap.question_labels[a.item_version_id]: (
                    a.seq, None if a.option_id is None else pmap.option_labels[a.option_id]) for a in rows if a.seq}
                flagged = {pmap.question_labels[a.item_version_id]: (a.flag_seq, a.flagged) for a in rows
                           if a.flag_seq}
                assert stored == {q: v for (c, q), v in self.answers.items() if c == i}, f"answers of {i}"
                assert flagged == {q: v for (c, q), v in self.flags.items() if c == i}, f"flags of {i}"
                checked += len(stored) + len(flagged)
        return checked


def handled(cls: type) -> set[str]:
    """The client events a namespace class handles."""
    names = {n[3:] for n, _ in inspect.getmembers(cls, inspect.isfunction) if n.startswith("on_")}
    return (names | set(getattr(cls, "HOT_EVENTS", ()))) - {"connect", "disconnect"}


def test_every_event_is_fuzzed() -> None:
    """A new event on either namespace must join the fuzz."""
    assert handled(ExamNamespace) == set(EXAM_EVENTS)
    assert handled(ProctorNamespace) == set(PROCTOR_EVENTS)
    assert not (set(UNKNOWN) & (set(EXAM_EVENTS) | set(PROCTOR_EVENTS) | RESERVED_EVENTS))


class SocketFuzz(RuleBasedStateMachine):
    """One example: a few candidates and two staff members; each step a few events, or a connect or disconnect."""

    world: ClassVar[World]

    def __init__(self) -> None:
        super().__init__()
        w = self.world
        self.slots = (w.open_candidates() or list(range(w.count)))[:SLOTS]
        self.cands: dict[int, Candidate | None] = dict.fromkeys(self.slots)
        self.sios: dict[str, socketio.Client | None] = dict.fromkeys(w.staff)

    # ---- connections ------------------------------------------------------------------------------------------

    @initialize()
    def everyone_connects(self) -> None:
        """Each example begins with its candidates connected and started and both staff members on the dashboard."""
        for i in self.slots:
            self._connect(i, fresh_login=False)
            cand = self.cands[i]
            if cand is not None:
                ack = self._call(cand.sio, "/exam", "start", None)
                if ack_error(ack, "/exam start") is None:
                    self._started(i, ack)
        for role in self.sios:
            self._staff_connect(role)
        for event in ("resume_room", "open_room"):  # as a room is before the fuzz paused or closed it
            reset = {"room": self.world.room, "reason": "fuzz"}
            ack_error(self._call(self.sios["committee"], "/proctor", event, reset), f"/proctor {event}")

    @rule(k=st.integers(0, SLOTS - 1),
          how=st.sampled_from(["leave", "reconnect", "fresh_login", "leave", "reconnect", "oversized"]))
    def candidate_cycles(self, k: int, how: str) -> None:
        """A candidate's device goes away, reconnects with its token (replacing its live connection), logs in
        afresh, or sends a message over the server's 64 KiB (the server closes that connection and stays up)."""
        i = self.slots[k % len(self.slots)]
        if how == "oversized":
            cand = self.cands[i]
            if cand is not None and cand.sio.connected:
                assert self._call(cand.sio, "/exam", "answer", {"question": "x" * 70_000, "seq": 1}) is None
                self.cands[i] = None
            return
        if how != "reconnect":
            cand, self.cands[i] = self.cands[i], None
            if cand is not None:
                self.world.let_go(cand.close)
        if how != "leave":
            self._connect(i, fresh_login=how == "fresh_login")

    def _connect(self, i: int, fresh_login: bool) -> None:
        token = None if fresh_login else self.world.tokens.get(i)
        token = token or self.world.login(i)
        if token is None:
            return
        old = self.cands[i]
        try:
            self.cands[i] = Candidate(self.world.server, token)
        except socketio.exceptions.ConnectionError:  # a token replaced by a later login, or released
            self.world.tokens.pop(i, None)
            self.cands[i] = None
        if old is not None:  # the server closes the replaced connection; this side lets go of it too
            self.world.let_go(old.close)

    @rule(role=st.sampled_from(["proctor", "committee"]), reconnect=st.booleans())
    def staff_cycles(self, role: str, reconnect: bool) -> None:
        """A staff member's dashboard closes, and perhaps opens again."""
        sio, self.sios[role] = self.sios[role], None
        if sio is not None:
            self.world.let_go(sio.disconnect)
        if reconnect:
            self._staff_connect(role)

    def _staff_connect(self, role: str) -> None:
        sio = socketio.Client(reconnection=False)
        sio.connect(self.world.server.url, namespaces=["/proctor"], transports=["websocket"], wait_timeout=10,
                    headers={"Cookie": self.world.staff[role].cookie_header()})
        self.sios[role] = sio

    # ---- events -----------------------------------------------------------------------------------------------
    # Every draw is made before a rule runs and has the same shape whatever the server's state (hypothesis insists:
    # its choices are replayed across examples, while the server remembers them); the rule then reads its recipe
    # against the state: which question label, which seq, which candidate id.

    @rule(k=st.integers(0, SLOTS - 1), recipes=st.lists(exam_recipes, min_size=1, max_size=6))
    def candidate_sends(self, k: int, recipes: list[ExamRecipe]) -> None:
        """A few events from one candidate's connection (none if it is not connected)."""
        i = self.slots[k % len(self.slots)]
        for recipe in recipes:
            cand = self.cands[i]
            if cand is None or not cand.sio.connected:  # never connected, or released by the proctor meanwhile
                return
            event = recipe.event
            payload = self._exam_payload(i, recipe)
            ack = self._call(cand.sio, "/exam", event, payload)
            if ack is None:
                self.cands[i] = None
                return
            if ack_error(ack, f"/exam {event} {payload!r:.300}") is not None:
                continue
            if event == "prefetch":
                self.world.packages[i] = ack["package"]
            elif event == "start":
                self._started(i, ack)
            elif event in ("answer", "flag"):
                self.world.saw_write(i, event, payload, ack)

    def _started(self, i: int, ack: dict[str, Any]) -> None:
        """Check a successful ``start`` against the record; fetch the package first if the paper is new here."""
        w = self.world
        if i not in w.packages and "key" in ack:
            pre = self._call(self.cands[i].sio, "/exam", "prefetch", None)  # type: ignore[union-attr]
            assert ack_error(pre, "/exam prefetch") is None, pre
            w.packages[i] = pre["package"]
        w.saw_start(i, ack)

    def _exam_payload(self, i: int, r: ExamRecipe) -> Any:
        """The payload a recipe stands for on this candidate's paper: valid (shapes 0, 1), valid fields mixed with
        hostile ones (2), hostile (3), or two arguments (4)."""
        w = self.world
        paper = w.papers.get(i)
        nxt = w.next_seq.get(i, 1)
        if r.shape == 3:
            return r.noise
        if r.shape == 4:
            return Args((r.noise, r.other))
        labels = sorted(paper) if paper else []
        question: Any = labels[r.pick % len(labels)] if labels else f"q{r.pick}"
        options: list[Any] = [*paper[question], None] if paper else [f"o{r.pick}", None]
        option = options[r.choice % len(options)]
        seq: Any = {"next": nxt, "stale": max(1, nxt - 1 - r.pick % 3), "far": nxt + 1 + r.pick}.get(r.seq, r.seq)
        valid = r.shape < 2
        if r.event == "answer":
            if valid:
                return {"question": question, "option": option, "seq": nxt}
            return {"question": question if r.pick % 2 else r.noise, "option": option if r.choice % 2 else r.other,
                    "seq": seq}
        if r.event == "flag":
            if valid:
                return {"question": question, "flagged": r.flag, "seq": nxt}
            return {"question": question if r.pick % 2 else r.noise, "flagged": r.flag if r.choice % 2 else r.other,
                    "seq": seq}
        if r.event == "focus":
            return {"kind": FOCUS_KINDS[r.pick % 3] if valid else r.noise}
        return None if valid else r.noise

    @rule(role=st.sampled_from(["proctor", "committee"]), recipes=st.lists(proctor_recipes, min_size=1, max_size=4))
    def staff_sends(self, role: str, recipes: list[ProctorRecipe]) -> None:
        """A few events from one staff member's dashboard (none if it is closed)."""
        w = self.world
        for recipe in recipes:
            sio = self.sios[role]
            if sio is None or not sio.connected:
                return
            event = recipe.event
            payload = self._proctor_payload(recipe)
            ack = self._call(sio, "/proctor", event, payload)
            if ack is None:
                self.sios[role] = None
                return
            if ack_error(ack, f"/proctor {event} {payload!r:.300}") is not None:
                continue
            if event == "rotate_token":
                with db.session_scope(w.server.db_url) as s:
                    w.room_token = s.scalar(select(Room.token).where(Room.id == w.room))
            if event == "release":  # that candidate's device is let go: the server closes it, it logs in again
                i = w.ids.index(payload["candidate"])
                w.tokens.pop(i, None)
                cand = self.cands.get(i)
                if cand is not None:
                    self.cands[i] = None
                    wait_until(lambda c=cand: not c.sio.connected, 10, "a released device is disconnected")

    def _proctor_payload(self, r: ProctorRecipe) -> Any:
        """The payload a recipe stands for: valid fields (shapes 0, 1), some hostile (2), hostile (3), two arguments
        (4), none (5); ``r.keys`` chooses the optional fields."""
        w = self.world
        if r.shape == 3:
            return r.noise
        if r.shape == 4:
            return Args((r.noise, r.other))
        if r.shape == 5:
            return None
        ids = [w.ids[i] for i in self.slots] + [w.ids[-1]]
        valid: dict[str, Any] = {
            "room": w.room, "candidate": ids[r.pick % len(ids)], "reason": "fuzz", "message": "fuzz",
            "seconds": r.seconds, "kinds": r.kinds, "limit": 1 + r.pick % 5000, "incidents": r.flag,
        }
        hostile_fields = {"room": r.noise, "candidate": r.other, "reason": r.text, "message": r.text,
                          "seconds": r.other, "kinds": r.noise, "limit": r.other, "incidents": r.noise}
        payload = {}
        for bit, key in enumerate(valid):
            if key == "room" or r.keys >> bit & 1:
                payload[key] = valid[key] if r.shape < 2 or r.keys >> (bit + 8) & 1 else hostile_fields[key]
        return payload

    def _call(self, sio: socketio.Client, namespace: str, event: str, payload: Any) -> Any:
        """Send one event; its ack, or None when the message was over 64 KiB and the server closed the connection
        (as it must: the ack is not waited for then)."""
        w = self.world
        w.sent += 1
        w.names[(namespace, event)] += 1
        size = message_size(namespace, event, payload)
        if abs(size - MESSAGE_LIMIT) <= 32:  # too close to call (the ack id's digits vary): send nothing instead
            payload, size = None, 0
        data = tuple(payload) if isinstance(payload, Args) else payload
        if size > MESSAGE_LIMIT:
            w.names[(namespace, "oversized")] += 1
            w.codes[(namespace, "closed: over 64 KiB")] += 1
            sio.emit(event, data, namespace=namespace)
            wait_until(lambda: not sio.connected, 10, f"a message of {size} bytes closes the connection")
            return None
        ack = sio.call(event, data, namespace=namespace, timeout=30)
        code = ack["error"]["code"] if isinstance(ack, dict) and isinstance(ack.get("error"), dict) else "ok"
        w.codes[(namespace, str(code))] += 1
        return ack

    # ---- after every step -------------------------------------------------------------------------------------

    @invariant()
    def server_is_up(self) -> None:
        proc = self.world.server.proc
        assert proc is not None and proc.poll() is None, "the server process exited"
        assert requests.get(self.world.server.url + "/api/v1/health", timeout=20).status_code == 200

    def teardown(self) -> None:
        for i in self.slots:
            self.candidate_cycles(self.slots.index(i), "leave")
        for role in list(self.sios):
            self.staff_cycles(role, reconnect=False)


def fuzz(server: LiveServer, events: int, examples: int, steps: int) -> World:
    """Run ``examples`` examples of up to ``steps`` steps, more until ``events`` events were sent; check the end."""
    world = World(server)
    machine = type("Fuzz", (SocketFuzz,), {"world": world})
    began = time.monotonic()
    while world.sent < events:  # (hypothesis ends some examples early, and its first one is the empty one)
        run_state_machine_as_test(machine, settings=settings(  # type: ignore[arg-type]
            max_examples=examples, stateful_step_count=steps, deadline=None, database=None,
            suppress_health_check=list(HealthCheck), phases=[Phase.generate]))
    took = time.monotonic() - began
    for thread in world.closing:
        thread.join(timeout=30)
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log, log[log.index("Traceback") - 300:][:5000]
    checked = world.check_database()
    print(f"\n{world.sent} events in {took:.0f} s ({world.sent / took:.0f}/s); {world.applied} writes applied, "
          f"{checked} stored writes checked; codes: {dict(sorted(world.codes.items()))}")
    return world


@pytest.fixture
def crowd(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveServer]:
    """A demo served on the backend asked for (``param``: backend, candidates). Logins refused while a closed
    connection is still being let go, or while the fuzz has closed the room, are many: the login limits must not
    end the run."""
    backend, candidates = request.param
    monkeypatch.setenv("EXAM_LOGIN_ATTEMPTS", "1000000")
    with served(tmp_path, backend, candidates=candidates) as live:
        yield live


@pytest.mark.parametrize("crowd", [("sqlite", 20)], indirect=True)
def test_socket_fuzz_short(crowd: LiveServer) -> None:
    """A few hundred events: what ``make test`` runs."""
    world = fuzz(crowd, 400, 10, 40)
    assert world.applied > 0, "some valid writes got through"


@pytest.mark.slow
@pytest.mark.parametrize("crowd", [("sqlite", 300), pytest.param(("postgresql", 300), marks=pytest.mark.postgres)],
                         indirect=True, ids=["sqlite", "postgresql"])
def test_socket_fuzz_long(crowd: LiveServer) -> None:
    """10,000 events and more, with enough candidates that submits do not finish every paper early on."""
    world = fuzz(crowd, 10_000, 150, 100)
    assert world.applied > 100
    everything = ({("/exam", e) for e in (*EXAM_EVENTS, *RESERVED, "oversized")}
                  | {("/proctor", e) for e in (*PROCTOR_EVENTS, *RESERVED)})
    assert everything <= set(world.names), f"never sent: {everything - set(world.names)}"
