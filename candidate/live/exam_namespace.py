"""The candidate's live connection (``/exam``): thin handlers that validate, call a service, shape the ack."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import request
from flask_socketio import ConnectionRefusedError, join_room

from candidate import sessions, tokens
from candidate.answers import Write, answer_writer
from candidate.closing import close_paper
from ground import clock, db, events
from ground.concurrency import run_blocking
from ground.crypto import b64e
from ground.errors import AppError, acked
from ground.extensions import socketio
from ground.i18n import _
from ground.runtime import Runtime
from ground.sockets import GuardedNamespace
from question_bank.labels import PaperLabels, PaperMap
from question_bank.packages import open_paper_key, unwrap_exam_key

log = logging.getLogger(__name__)
NAMESPACE = "/exam"
FOCUS_EVERY_S = 2.0  # a page that loses focus in a loop reaches the proctor (and the audit log) once per window


def paper_channel(paper_id: int) -> str:
    """The Socket.IO room of one paper: everything addressed to that candidate goes here."""
    return f"paper:{paper_id}"


def room_channel(room_id: int | None) -> str:
    """The Socket.IO room of one exam room's candidates (announcements, pauses)."""
    return f"examroom:{room_id}"


def _bad(message: str) -> AppError:
    return AppError("bad_payload", message)


def _label_field(data: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise _bad(_("Field '%(name)s' must be a label from your paper.", name=name))
    return value


def _option_set(data: dict[str, Any], options: dict[str, int]) -> tuple[int, ...]:
    """The chosen set of a multiple-response answer as sorted option ids (empty: the answer is cleared)."""
    if "option" in data:
        raise _bad(_("This question takes several answers: send 'options' (a list of labels), not 'option'."))
    labels = data.get("options")
    if not isinstance(labels, list) or len(labels) > len(options) or not all(isinstance(x, str) for x in labels):
        raise _bad(_("Field 'options' must be a list of option labels from this question."))
    if len(set(labels)) != len(labels):
        raise _bad(_("Field 'options' names an option twice."))
    chosen = [options.get(label) for label in labels]
    if None in chosen:
        raise AppError("unknown_option", _("That option does not belong to this question."), 400)
    return tuple(sorted(o for o in chosen if o is not None))


def _start_state(
    db_url: str, paper_id: int, master_key: bytes, signing_key: Ed25519PrivateKey
) -> tuple[dict[str, Any], PaperMap | None]:
    """Start (once) and gather everything a (re)starting client needs, plus the paper's labels."""
    with db.session_scope(db_url, grouped=True) as session:  # a room presses Start at once: shared fsyncs
        paper, exam, candidate = sessions.paper_exam_candidate(session, paper_id)
        data_key = unwrap_exam_key(master_key, exam.code, exam.data_key_wrapped) if exam.data_key_wrapped else None
        pmap = PaperMap(PaperLabels(data_key, paper.seed), paper.layout) if data_key else None
        # read before the start's changes: no query after them, so they reach the database only at the commit and
        # the write lock (SQLite) is held for the commit alone
        answers, flags, seq = sessions.resume_state(session, paper.id)
        locked = bool(paper.locked) and paper.state != "finished"
        if not locked:  # a locked candidate's clock does not start; the page shows the locked screen and waits
            sessions.start(session, paper, exam)
        now = clock.now()
        state: dict[str, Any] = {
            "ok": True,
            "aad": f"exam:{exam.code}|candidate:{candidate.participant_no}",
            "deadline": clock.isoformat(paper.deadline) if paper.deadline else None,
            "server_time": clock.isoformat(now),
            "remaining_ms": sessions.remaining_ms(paper, now),
            "locked": locked,
            "paused": paper.state == "paused",
            "state": paper.state,
            "seq": seq,
        }
        if locked:
            return state, pmap
        if data_key is None or pmap is None:
            raise AppError("not_released", _("The exam has not been opened yet. Please wait for the proctor."), 403)
        state["key"] = b64e(open_paper_key(data_key, exam.code, candidate.participant_no, paper.key_wrapped))
        state["answers"], state["flags"] = pmap.saved(answers, flags)
        finished = paper.state == "finished"
    if finished:
        closed = close_paper(db_url, paper_id, "submitted", signing_key)
        state.update(ended=closed.reason, result=closed.result, receipt=closed.receipt)
    return state, pmap


class ExamNamespace(GuardedNamespace):
    """Events: prefetch, start, answer, flag, submit, focus; server pushes ``time`` and ``ended``."""

    # The hot path skips Flask-SocketIO's per-event request context (it costs more than the rest of the
    # handler): these handlers get the sid and use this process's runtime directly.
    HOT_EVENTS = frozenset({"answer", "flag"})

    def __init__(self, namespace: str, rt: Runtime) -> None:
        super().__init__(namespace)
        self.rt = rt

    def handles(self, event: str) -> bool:
        """The hot events have ``hot_`` handlers, not ``on_`` ones."""
        return event in self.HOT_EVENTS or super().handles(event)

    def trigger_event(self, event: str, *args: Any) -> Any:
        """Dispatch: hot events (with one payload) directly, the rest through the guard (reserved and unknown names,
        extra payloads refused) and Flask-SocketIO's request context."""
        if event in self.HOT_EVENTS and len(args) <= 2:
            sid, *payload = args
            return getattr(self, f"hot_{event}")(sid, payload[0] if payload else None)
        return super().trigger_event(event, *args)

    def on_connect(self, auth: Any = None) -> None:
        """Accept a valid access token, replace an older connection of the same login, join the paper's rooms."""
        rt = self.rt
        token = auth.get("access_token") if isinstance(auth, dict) else None
        sid = request.sid
        try:
            claims = tokens.read(rt.secret, token, rt.config.token_ttl_s)

            def attach() -> sessions.Attached:
                # who is connected is a mark, not a record: a power cut takes it back anyway (no fsync of its own)
                with db.session_scope(rt.db_url, durable=False) as session:
                    return sessions.connect(session, claims.paper_id, claims.session_id, sid)

            attached = run_blocking(attach)
            room_id, exam_id, candidate_id, previous = (
                attached.room_id, attached.exam_id, attached.candidate_id, attached.previous
            )
        except AppError as err:
            # the client sees {"message": ..., "data": {"code", "message"}} (err.data in socket.io-client)
            raise ConnectionRefusedError(err.message, err.body()["error"]) from None
        if previous:
            socketio.emit(
                "session_replaced", {"message": _("This exam was opened on another connection.")},
                to=previous, namespace=NAMESPACE,
            )
            socketio.server.disconnect(previous, namespace=NAMESPACE)
        rt.connections[request.sid] = {
            "paper_id": claims.paper_id, "room_id": room_id, "exam_id": exam_id, "candidate_id": candidate_id,
        }
        join_room(paper_channel(claims.paper_id))
        join_room(room_channel(room_id))
        events.publish(
            events.CANDIDATE_CONNECTED, exam_id=exam_id, room_id=room_id, candidate_id=candidate_id,
            paper_id=claims.paper_id, ip=request.remote_addr,
        )

    def on_disconnect(self, reason: Any = None) -> None:
        """Forget the connection (the paper stays as it is; the proctor sees the disconnect)."""
        rt = self.rt
        sid = request.sid
        info = rt.connections.pop(sid, None) or {}
        paper_id = info.get("paper_id")
        if paper_id is None:
            return

        def detach() -> bool:
            with db.session_scope(rt.db_url, durable=False) as session:
                return sessions.disconnect(session, paper_id, sid)

        try:
            if run_blocking(detach):
                events.publish(
                    events.CANDIDATE_DISCONNECTED, exam_id=info.get("exam_id"), room_id=info.get("room_id"),
                    candidate_id=info.get("candidate_id"), paper_id=paper_id,
                )
        except Exception:  # noqa: BLE001 - a disconnect must never raise into the server
            log.exception("disconnect bookkeeping failed for paper %s", paper_id)

    def _info(self, sid: str | None = None) -> dict[str, Any]:
        info = self.rt.connections.get(sid or request.sid)
        if not info or "paper_id" not in info:
            raise AppError("not_connected", _("Connect with your access token first."), 401)
        return info

    @acked
    def on_prefetch(self, data: Any = None) -> dict[str, Any]:
        """The sealed paper, before the start, so a room preloads while it waits."""
        rt = self.rt
        paper_id = self._info()["paper_id"]

        def load() -> dict[str, str]:
            with db.session_scope(rt.db_url) as session:  # the sealed bytes as stored: one read, nothing rebuilt
                return sessions.stored_package(session, paper_id)

        return {"ok": True, "package": run_blocking(load)}

    @acked
    def on_start(self, data: Any = None) -> dict[str, Any]:
        """Start once (the deadline is fixed then) and replay everything saved, on every (re)connect."""
        rt = self.rt
        info = self._info()
        state, info["paper_map"] = run_blocking(
            _start_state, rt.db_url, info["paper_id"], rt.master_key, rt.signing_key
        )
        return state

    def _question(self, info: dict[str, Any], data: Any) -> tuple[int, dict[str, int]]:
        """The (version id, {option label: option id}) a question label of this connection's paper stands for."""
        if not isinstance(data, dict):
            raise _bad(_("The payload must be an object."))
        pmap: PaperMap | None = info.get("paper_map")
        if pmap is None:
            raise AppError("not_started", _("Send 'start' before answering."), 409)
        found = pmap.question(_label_field(data, "question"))  # type: ignore[arg-type]
        if found is None:
            raise AppError("unknown_question", _("That question is not on your paper."), 400)
        return found

    @staticmethod
    def _seq(data: dict[str, Any]) -> int:
        seq = data.get("seq")
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1 or seq > 2**62:
            raise _bad(_("Field 'seq' must be a positive integer."))
        return seq

    @acked
    def hot_answer(self, sid: str, data: Any) -> dict[str, Any]:
        """Validate against this connection's paper, queue for the group commit, ack what happened once durable."""
        info = self._info(sid)
        question, options = self._question(info, data)
        pmap: PaperMap = info["paper_map"]
        if question in pmap.multiple:
            write = Write("answer", info["paper_id"], question, seq=0, options=_option_set(data, options))
            answered = bool(write.options)
        else:
            if "options" in data:
                raise _bad(_("This question takes one answer: send 'option' (a label or null), not 'options'."))
            label = _label_field(data, "option", required=False)
            option = None if label is None else options.get(label)
            if label is not None and option is None:
                raise AppError("unknown_option", _("That option does not belong to this question."), 400)
            write, answered = Write("answer", info["paper_id"], question, option), option is not None
        outcome = answer_writer(self.rt).submit(replace(write, seq=self._seq(data)))
        if isinstance(outcome, AppError):
            raise outcome
        if outcome["applied"] and not outcome.get("duplicate"):
            events.publish(
                events.ANSWER_SAVED, exam_id=info.get("exam_id"), room_id=info.get("room_id"),
                candidate_id=info.get("candidate_id"), paper_id=info["paper_id"], question=question,
                answered=answered,
            )
        # the writer speaks bank ids; the candidate only ever sees the paper's labels
        if "options" in outcome:
            outcome["options"] = pmap.option_set(outcome["options"])
        else:
            stored = outcome["option"]
            outcome["option"] = None if stored is None else pmap.option_labels[stored]
        return outcome

    @acked
    def hot_flag(self, sid: str, data: Any) -> dict[str, Any]:
        """Set or clear the ragu-ragu flag, durably, in the paper's one sequence."""
        info = self._info(sid)
        question, _options = self._question(info, data)
        flagged = data.get("flagged")
        if not isinstance(flagged, bool):
            raise _bad(_("Field 'flagged' must be true or false."))
        seq = self._seq(data)
        outcome = answer_writer(self.rt).submit(Write("flag", info["paper_id"], question, seq=seq, flagged=flagged))
        if isinstance(outcome, AppError):
            raise outcome
        return outcome

    @acked
    def on_submit(self, data: Any = None) -> dict[str, Any]:
        """Finish, score and sign once; a second submit returns the same result and receipt."""
        rt = self.rt
        info = self._info()
        answer_writer(rt).barrier()  # every answer sent before 'submit' is in the score
        closed = run_blocking(
            close_paper, rt.db_url, info["paper_id"], "submitted", rt.signing_key, actor="candidate"
        )
        if closed.closed_now:
            push_ended(closed.paper_id, closed.reason)
        return {"ok": True, "result": closed.result, "receipt": closed.receipt, "reason": closed.reason}

    @acked
    def on_focus(self, data: Any = None) -> dict[str, Any]:
        """The page lost focus or left fullscreen: the proctor sees it; nothing changes on the paper."""
        info = self._info()
        kind = data.get("kind") if isinstance(data, dict) else None
        if kind not in ("blur", "fullscreen_exit", "visibility_hidden"):
            raise _bad(_("Field 'kind' must be blur, fullscreen_exit or visibility_hidden."))
        now = clock.now().timestamp()
        last, held = info.setdefault("focus", {}).get(kind, (float("-inf"), 0))
        if now - last < FOCUS_EVERY_S:
            info["focus"][kind] = (last, held + 1)  # counted, reported with the next one that passes
            return {"ok": True, "reported": False}
        info["focus"][kind] = (now, 0)
        events.publish(
            events.FOCUS_LOST, exam_id=info.get("exam_id"), room_id=info.get("room_id"),
            candidate_id=info.get("candidate_id"), paper_id=info["paper_id"], kind=kind, repeats=held,
        )
        return {"ok": True, "reported": True}


def push_time(paper_id: int, payload: dict[str, Any]) -> None:
    """Tell a candidate's page the clock changed (extension, pause, resume) at once."""
    socketio.emit("time", payload, to=paper_channel(paper_id), namespace=NAMESPACE)


def push_ended(paper_id: int, reason: str) -> None:
    """Tell a candidate's page the paper is finished (and why)."""
    socketio.emit("ended", {"reason": reason}, to=paper_channel(paper_id), namespace=NAMESPACE)


__all__ = ["ExamNamespace", "NAMESPACE", "paper_channel", "push_ended", "push_time", "room_channel"]
