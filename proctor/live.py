"""The live faces: ``/proctor`` (signed-in staff watch rooms and act) and ``/board`` (the public score board).

Domain events reach the dashboard through a per-process pump: subscribers only append to a queue (they may be
called from a native database thread), and one background task drains it every ``PUMP_INTERVAL_S``: it writes the
audit rows for connections and focus losses, reads the changed grid rows in one go (never a query per answer) and
emits them to ``proctor:<room id>``. With a Redis message queue those emits reach proctors on any process.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import Any

from flask import Flask, request, session
from flask_socketio import ConnectionRefusedError, join_room, leave_room
from sqlalchemy import select

from candidate import lockouts
from candidate.answers import answer_writer
from candidate.live.exam_namespace import (
    NAMESPACE as EXAM_NAMESPACE,
)
from candidate.live.exam_namespace import (
    paper_channel,
    push_ended,
    push_time,
    room_channel,
)
from ground import audit, clock, db, events
from ground.concurrency import run_blocking
from ground.errors import AppError, acked
from ground.extensions import socketio
from ground.i18n import _
from ground.models import Candidate, Room
from ground.runtime import runtime
from ground.sockets import GuardedNamespace
from ground.staff import accounts as staff_service
from ground.staff.accounts import StaffInfo
from ground.staff.auth import staff_from_cookie
from proctor import actions, board

log = logging.getLogger(__name__)
NAMESPACE = "/proctor"
BOARD_NAMESPACE = "/board"
PUMP_INTERVAL_S = 0.1
# answers only move progress bars: their grid refresh waits up to this long, so a busy room costs a few reads a
# second, not ten (still well within the one second the dashboard promises); everything else goes out at once
ANSWER_REFRESH_S = 0.5
# how often a process re-checks the sign-ins behind its dashboards (a disable or new password given by the
# command line or another process closes them within this; a sign-out in this process closes them at once)
SESSION_CHECK_S = 1.0
# event name -> the feed kind (and audit action) it shows as; answer_saved only refreshes the grid
FEED_KINDS = {
    events.LOGGED_IN: "login", events.CANDIDATE_CONNECTED: "connected", events.CANDIDATE_DISCONNECTED: "disconnected",
    events.SECOND_DEVICE: "second_device_refused", events.STARTED: "start", events.LOGIN_LOCKED: "login_locked",
}
# the events whose audit rows the pump writes (the services log the rest)
AUDITED_HERE = frozenset({events.CANDIDATE_CONNECTED, events.CANDIDATE_DISCONNECTED, events.FOCUS_LOST,
                          events.SECOND_DEVICE, events.LOGIN_LOCKED})
_connections: dict[str, dict[str, Any]] = {}  # this process's proctor sids -> {"staff": StaffInfo, "room_id"}


def proctor_channel(room_id: int) -> str:
    """The Socket.IO room of everyone watching exam room ``room_id`` on the dashboard."""
    return f"proctor:{room_id}"


def board_channel(room_id: int) -> str:
    return f"board:{room_id}"


def staff_channel(staff_id: int) -> str:
    return f"staff:{staff_id}"


# --- the pump: domain events -> grid rows and feed lines ---------------------------------------------------------


class Pump:
    """Collects domain events from any thread; a background task turns them into dashboard pushes."""

    def __init__(self, app: Flask, interval_s: float = PUMP_INTERVAL_S) -> None:
        self.app = app
        self.interval_s = interval_s
        self.queue: deque[tuple[str, dict[str, Any]]] = deque()
        self._held: dict[Any, tuple[str, dict[str, Any]]] = {}  # answer events waiting, one per paper
        self._last_round = 0.0
        self._last_session_check = 0.0

    def collect(self, name: str, payload: dict[str, Any]) -> None:
        """The event subscriber: O(1), no I/O (it runs on the candidate's hot path)."""
        self.queue.append((name, payload))

    def touch(self, paper_ids: list[int]) -> None:
        """Refresh these grid rows on the next round (after a proctor action)."""
        for pid in paper_ids:
            self.queue.append(("refresh", {"paper_id": pid}))

    def _next_batch(self) -> list[tuple[str, dict[str, Any]]]:
        """What to process this round: at once if anything but answers came, else held answers every 0.5 s."""
        urgent = []
        while self.queue:
            name, payload = self.queue.popleft()
            if name == events.ANSWER_SAVED:
                self._held[payload.get("paper_id")] = (name, payload)
            else:
                urgent.append((name, payload))
        if not urgent and (not self._held or time.monotonic() - self._last_round < ANSWER_REFRESH_S):
            return []
        batch, self._held = [*self._held.values(), *urgent], {}
        self._last_round = time.monotonic()
        return batch

    def run(self) -> None:
        while True:
            socketio.sleep(self.interval_s)
            self.check_sessions()
            batch = self._next_batch()
            if not batch:
                continue
            try:
                with self.app.app_context():
                    self.process(batch)
            except Exception:  # noqa: BLE001 - the dashboard must outlive any one failure
                log.exception("proctor pump failed on %d events", len(batch))

    def check_sessions(self) -> None:
        """Every ``SESSION_CHECK_S``: close dashboards whose sign-in ended (a failure is logged, never fatal)."""
        if not _connections or time.monotonic() - self._last_session_check < SESSION_CHECK_S:
            return
        self._last_session_check = time.monotonic()
        try:
            with self.app.app_context():
                check_sessions(runtime(self.app).db_url)
        except Exception:  # noqa: BLE001 - the dashboard must outlive any one failure
            log.exception("proctor session check failed")

    def process(self, batch: list[tuple[str, dict[str, Any]]]) -> None:
        db_url = runtime(self.app).db_url
        paper_ids = {p["paper_id"] for _n, p in batch if p.get("paper_id") is not None}
        rows = run_blocking(_record_and_read, db_url, batch, paper_ids)
        by_paper = {r["paper_id"]: r for r in rows}
        grid: dict[int, list[dict[str, Any]]] = {}
        for row in rows:
            if row["room_id"] is not None:
                grid.setdefault(row["room_id"], []).append(row)
        feed: dict[int, list[dict[str, Any]]] = {}
        now = clock.isoformat(clock.now())
        for name, payload in batch:
            row = by_paper.get(payload.get("paper_id"))
            room_id = payload.get("room_id") or (row or {}).get("room_id")
            kind = _feed_kind(name, payload)
            if kind is None or room_id is None:
                continue
            details = {k: payload[k] for k in ("ip", "kind", "reason") if k in payload}
            feed.setdefault(room_id, []).append({
                "id": None, "at": now, "kind": kind, "actor": "candidate", "candidate_id": payload.get("candidate_id"),
                "participant_no": (row or {}).get("participant_no") or payload.get("participant_no"),
                "name": (row or {}).get("name"), "reason": None, "details": details,
            })
            if name == events.SUBMITTED and row is not None and payload.get("result"):
                result = payload["result"]
                socketio.emit("result", {
                    "participant_no": row["participant_no"], "name": row["name"], "subtests": result["subtests"],
                    "total": result["total"], "passed": result["passed"], "at": now,
                }, to=board_channel(room_id), namespace=BOARD_NAMESPACE)
        for room_id, room_rows in grid.items():
            socketio.emit("candidates", {"room_id": room_id, "rows": room_rows}, to=proctor_channel(room_id),
                          namespace=NAMESPACE)
        for room_id, items in feed.items():
            socketio.emit("feed", {"room_id": room_id, "items": items}, to=proctor_channel(room_id),
                          namespace=NAMESPACE)


def _feed_kind(name: str, payload: dict[str, Any]) -> str | None:
    if name == events.FOCUS_LOST:
        return "fullscreen_exit" if payload.get("kind") == "fullscreen_exit" else "focus_lost"
    if name == events.SUBMITTED:
        return f"finish:{payload.get('reason', 'submitted')}"
    return FEED_KINDS.get(name)


def _record_and_read(db_url: str, batch: list[tuple[str, dict[str, Any]]], paper_ids: set[int]) -> list[dict]:
    """One transaction: audit rows for connections, focus losses, second devices and login lockouts (the services
    log the rest), then the grid rows of every paper touched."""
    # (the refused second login's own audit row is rolled back with its 409, so it is written here)
    logged = [(name, p) for name, p in batch if name in AUDITED_HERE]
    cids = {p["candidate_id"] for _name, p in logged if p.get("candidate_id") is not None}
    with db.session_scope(db_url) as s:
        numbers: dict[int, str] = dict(s.execute(  # one query for the batch's candidates, not one each
            select(Candidate.id, Candidate.participant_no).where(Candidate.id.in_(cids))
        ).tuples().all()) if cids else {}
        for name, p in logged:
            cid = p.get("candidate_id")
            kind = _feed_kind(name, p)
            extra = {"ip": p["ip"]} if p.get("ip") else {}
            if name == events.FOCUS_LOST:
                extra = {"kind": p.get("kind"), **({"repeats": p["repeats"]} if p.get("repeats") else {})}
            audit.record(
                s, kind or name, actor=f"candidate:{numbers.get(cid, '?')}", exam_id=p.get("exam_id"),
                room_id=p.get("room_id"), candidate_id=cid, **extra,
            )
        s.flush()
        return board.rows(s, paper_ids=paper_ids)


_pump: Pump | None = None


def start(app: Flask) -> Pump:
    """Subscribe to the domain events and start this process's pump (once; called by ``exam-engine serve``)."""
    global _pump
    if _pump is None:
        _pump = Pump(app)
        events.subscribe("*", _pump.collect)
        socketio.start_background_task(_pump.run)
    return _pump


def drop_staff_connections(staff_id: int, session_id: int | None = None) -> None:
    """A sign-in ended (``session_id``; None: every sign-in of the account): tell and close this process's
    dashboards of it at once (other processes find out within ``SESSION_CHECK_S``)."""
    for sid, info in list(_connections.items()):
        who = info["staff"]
        if who.id == staff_id and (session_id is None or who.session_id == session_id):
            _drop(sid)


def _drop(sid: str) -> None:
    """Tell one dashboard its session ended, forget it (no more pushes) and close it."""
    info = _connections.pop(sid, None)
    if info is not None and info.get("room_id") is not None:
        socketio.server.leave_room(sid, proctor_channel(info["room_id"]), namespace=NAMESPACE)
    socketio.emit("signed_out", {"message": _("You were signed out.")}, to=sid, namespace=NAMESPACE)
    socketio.server.disconnect(sid, namespace=NAMESPACE)


def check_sessions(db_url: str) -> list[str]:
    """Close this process's dashboards whose sign-in no longer stands (signed out, disabled or a new password,
    perhaps by another process or the command line): one query for all of them. Returns the closed sids."""
    by_session = {sid: info["staff"].session_id for sid, info in list(_connections.items())}
    if not by_session:
        return []

    def live() -> set[int]:
        with db.session_scope(db_url) as s:
            return staff_service.live_session_ids(s, [i for i in by_session.values() if i is not None])

    standing = run_blocking(live)
    gone = [sid for sid, session_id in by_session.items() if session_id not in standing]
    for sid in gone:
        _drop(sid)
    return gone


# --- the /proctor namespace --------------------------------------------------------------------------------------


MAX_ID = 2**62  # as the candidate's seq: ids beyond it (or below 1) are refused before they reach the database


def _int(data: Any, name: str, *, required: bool = True) -> int | None:
    """An id field: a whole number from 1 to ``MAX_ID`` (2**80 would overflow SQLite's and PostgreSQL's integers)."""
    value = data.get(name) if isinstance(data, dict) else None
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise AppError("bad_payload", _("Field '%(name)s' must be an id.", name=name))
    return value


def _obj(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise AppError("bad_payload", _("The payload must be an object."))
    return data


class ProctorNamespace(GuardedNamespace):
    """Events: rooms, join, feed, and the actions; the server pushes candidates, feed, room, signed_out."""

    def on_connect(self, auth: Any = None) -> None:
        who = staff_from_cookie(session)
        if who is None:
            err = AppError("not_signed_in", _("Sign in as staff first."), 401)
            raise ConnectionRefusedError(err.message, err.body()["error"])
        _connections[request.sid] = {"staff": who, "room_id": None}
        join_room(staff_channel(who.id))

    def on_disconnect(self, reason: Any = None) -> None:
        _connections.pop(request.sid, None)

    def _staff(self) -> StaffInfo:
        info = _connections.get(request.sid)
        if info is None:
            raise AppError("not_signed_in", _("Sign in as staff first."), 401)
        return info["staff"]

    @acked
    def on_rooms(self, data: Any = None) -> dict[str, Any]:
        db_url, who = runtime().db_url, self._staff()

        def load() -> list[dict[str, Any]]:
            with db.session_scope(db_url) as s:
                actions.authorize_account(s, who)
                return [board.room_card(s, s.get(Room, rid)) for rid in staff_service.room_ids_for(s, who)]

        return {"ok": True, "staff": who.public(), "rooms": run_blocking(load)}

    @acked
    def on_join(self, data: Any = None) -> dict[str, Any]:
        """Watch a room: the reply is the whole grid and recent feed; changes are pushed from then on."""
        room_id = _int(_obj(data), "room")
        db_url, who = runtime().db_url, self._staff()

        def load() -> dict[str, Any]:
            with db.session_scope(db_url) as s:
                room = actions.authorize(s, who, room_id)
                return {
                    "ok": True, "room": board.room_card(s, room), "rows": board.rows(s, room_id=room.id),
                    "feed": board.feed(s, room.id, limit=100),
                }

        reply = run_blocking(load)
        info = _connections[request.sid]
        if info["room_id"] is not None and info["room_id"] != room_id:
            leave_room(proctor_channel(info["room_id"]))
        info["room_id"] = room_id
        join_room(proctor_channel(room_id))
        return reply

    @acked
    def on_feed(self, data: Any = None) -> dict[str, Any]:
        """The room's history: ``{"room", "kinds"?: [...], "limit"?: n, "incidents"?: bool}``."""
        data = _obj(data)
        room_id = _int(data, "room")
        kinds = data.get("kinds")
        if kinds is not None and (not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds)):
            raise AppError("bad_payload", _("Field 'kinds' must be a list of event kinds."))
        limit = data.get("limit", 200)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 5000:
            raise AppError("bad_payload", _("Field 'limit' must be a whole number from 1 to 5000."))
        incidents = data.get("incidents") is True
        db_url, who = runtime().db_url, self._staff()

        def load() -> list[dict[str, Any]]:
            with db.session_scope(db_url) as s:
                room = actions.authorize(s, who, room_id)
                return board.feed(s, room.id, kinds=kinds, limit=limit, incidents=incidents)

        return {"ok": True, "items": run_blocking(load)}

    # ---- actions: each needs a reason, is logged, and is pushed to the candidates at once --------------------

    def _act(self, fn: Any, *args: Any) -> dict[str, Any]:
        db_url, who = runtime().db_url, self._staff()

        def work() -> actions.Outcome:
            with db.session_scope(db_url) as s:
                return fn(s, who, *args)

        return self._publish(run_blocking(work))

    def _publish(self, out: actions.Outcome) -> dict[str, Any]:
        """Push what the action did: to the candidates first, then to every proctor watching the room."""
        for pid, payload in out.times.items():
            push_time(pid, payload)
        if out.notice is not None and out.paper_ids:  # one emit (encoded once) to every affected paper's channel
            socketio.emit("proctor_action", out.notice, to=[paper_channel(pid) for pid in out.paper_ids],
                          namespace=EXAM_NAMESPACE)
        for sid in out.drop_sids:
            socketio.server.disconnect(sid, namespace=EXAM_NAMESPACE)
        for pid in out.ended:
            push_ended(pid, "proctor")
        if out.announcement is not None:
            socketio.emit("announcement", {"message": out.announcement}, to=room_channel(out.room_id),
                          namespace=EXAM_NAMESPACE)
        socketio.emit("feed", {"room_id": out.room_id, "items": [out.feed]}, to=proctor_channel(out.room_id),
                      namespace=NAMESPACE)
        if out.room is not None:
            socketio.emit("room", out.room, to=proctor_channel(out.room_id), namespace=NAMESPACE)
        if _pump is not None and out.paper_ids:
            _pump.touch(out.paper_ids)
        return {"ok": True, "action": out.action, "papers": out.paper_ids, **out.reply}

    @acked
    def on_extend(self, data: Any = None) -> dict[str, Any]:
        """``{"room", "candidate"?, "seconds", "reason"}``: one candidate, or the whole room without ``candidate``."""
        data = _obj(data)
        return self._act(
            actions.extend, _int(data, "room"), _int(data, "candidate", required=False), data.get("seconds"),
            data.get("reason"),
        )

    @acked
    def on_pause_room(self, data: Any = None) -> dict[str, Any]:
        data = _obj(data)
        return self._act(actions.pause_room, _int(data, "room"), data.get("reason"))

    @acked
    def on_resume_room(self, data: Any = None) -> dict[str, Any]:
        data = _obj(data)
        return self._act(actions.resume_room, _int(data, "room"), data.get("reason"))

    @acked
    def on_lock(self, data: Any = None) -> dict[str, Any]:
        data = _obj(data)
        return self._act(actions.lock, _int(data, "room"), _int(data, "candidate"), data.get("reason"))

    @acked
    def on_unlock(self, data: Any = None) -> dict[str, Any]:
        data = _obj(data)
        return self._act(actions.unlock, _int(data, "room"), _int(data, "candidate"), data.get("reason"))

    @acked
    def on_release(self, data: Any = None) -> dict[str, Any]:
        data = _obj(data)
        return self._act(actions.release, _int(data, "room"), _int(data, "candidate"), data.get("reason"))

    @acked
    def on_force_submit(self, data: Any = None) -> dict[str, Any]:
        data = _obj(data)
        room_id, candidate_id, reason = _int(data, "room"), _int(data, "candidate"), data.get("reason")
        rt, who = runtime(), self._staff()
        db_url, key = rt.db_url, rt.signing_key

        def check() -> None:
            with db.session_scope(db_url) as s:  # refuse before waiting on the writer; nothing is written here
                actions.check_reason(reason)
                actions.authorize(s, who, room_id)  # type: ignore[arg-type]

        run_blocking(check)
        answer_writer(rt).barrier()  # every answer acknowledged before the force-submit is in the score
        out = run_blocking(actions.force_submit, db_url, who, room_id, candidate_id, reason, key)
        return self._publish(out)

    @acked
    def on_announce(self, data: Any = None) -> dict[str, Any]:
        """``{"room", "message"}``: shown on every candidate screen in the room; the message is logged as reason."""
        data = _obj(data)
        return self._act(actions.announce, _int(data, "room"), data.get("message"))

    @acked
    def on_rotate_token(self, data: Any = None) -> dict[str, Any]:
        data = _obj(data)
        return self._act(actions.rotate_token, _int(data, "room"), data.get("reason"))

    @acked
    def on_open_room(self, data: Any = None) -> dict[str, Any]:
        data = _obj(data)
        return self._act(actions.set_open, _int(data, "room"), True, data.get("reason"))

    @acked
    def on_close_room(self, data: Any = None) -> dict[str, Any]:
        data = _obj(data)
        return self._act(actions.set_open, _int(data, "room"), False, data.get("reason"))


    @acked
    def on_clear_lockout(self, data: Any = None) -> dict[str, Any]:
        """``{"room", "candidate", "reason"}``: forget the candidate's failed PINs so they may log in at once."""
        data = _obj(data)
        room_id, candidate_id, reason = _int(data, "room"), _int(data, "candidate"), data.get("reason")
        rt, who = runtime(), self._staff()
        db_url = rt.db_url

        def target() -> str:
            with db.session_scope(db_url) as s:
                return actions.lockout_account(s, who, room_id, candidate_id, reason)  # type: ignore[arg-type]

        account = run_blocking(target)
        # the limiter is touched here, not on a database thread: its Redis client belongs to this process's hub
        failures = lockouts.guard(rt).clear_account(account)
        return self._act(actions.clear_lockout, room_id, candidate_id, reason, failures)


class BoardNamespace(GuardedNamespace):
    """The public score board: ``join`` ``{"room": code}``; the server pushes ``result`` as candidates finish."""

    @acked
    def on_join(self, data: Any = None) -> dict[str, Any]:
        code = _obj(data).get("room")
        if not isinstance(code, str) or not code.strip():
            raise AppError("bad_payload", _("Field 'room' must be a room code."))
        db_url = runtime().db_url

        def load() -> tuple[int, dict[str, Any]]:
            with db.session_scope(db_url) as s:
                room = staff_service.room_by_code(s, code)
                card = board.room_card(s, room, with_token=False)
                return room.id, {"ok": True, "room": card, "results": board.scoreboard(s, room.id)}

        room_id, reply = run_blocking(load)
        join_room(board_channel(room_id))
        return reply
