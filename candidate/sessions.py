"""A paper's life: login, connect, prefetch, start, pause/extend, finish — one function per transition.

Every function takes an open SQLAlchemy session and leaves committing to the caller (one transaction per
request or event). Faces call these; they never change a paper themselves.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ground import audit, clock, events, liveness
from ground.crypto import b64e
from ground.errors import AppError
from ground.i18n import _
from ground.keyring import pin_pepper_for
from ground.models import Answer, Candidate, ConnectionHolder, Exam, ExamSession, Paper, Result, Room, ServerProcess
from ground.passwords import verify_pin

FINISH_REASONS = ("submitted", "time_up", "proctor")


@dataclass(frozen=True)
class LoginOutcome:
    """A successful login: who, which paper, and the fresh login id the access token will carry."""

    candidate: Candidate
    exam: Exam
    paper: Paper
    session_id: str


class RoomChanged(Exception):
    """The room token no longer names a room of the exam the caller assumed (``exam_id``: the exam it names now, or
    None: no room): the caller checked the wrong lockout key, or a wrong token must count against the address only."""

    def __init__(self, exam_id: int | None) -> None:
        super().__init__(exam_id)
        self.exam_id = exam_id


def accommodations(candidate: Candidate) -> dict[str, Any]:
    """A candidate's accommodations, set in advance: extra time (seconds, added at the start), larger text, contrast."""
    return {
        "extra_time_s": int(candidate.extra_time_s or 0),
        "large_text": bool(candidate.large_text),
        "high_contrast": bool(candidate.high_contrast),
    }


def candidate_public(candidate: Candidate) -> dict[str, Any]:
    """What the candidate page may show about the candidate (nothing about scoring), and how to show the page."""
    return {
        "participant_no": candidate.participant_no,
        "name": candidate.name,
        "formation": candidate.formation,
        "entry_path": candidate.entry_path,
        "accommodations": accommodations(candidate),
    }


def exam_public(exam: Exam) -> dict[str, Any]:
    """What the candidate page may show about the exam."""
    return {"code": exam.code, "title": exam.title, "duration_s": exam.duration_s, "practice": bool(exam.practice)}


def paper_outline(paper: Paper) -> list[dict[str, Any]]:
    """Each subtest's code, title and question count: the start screen shows them before the paper is opened."""
    return [
        {"code": sub["code"], "title": sub.get("title") or sub["code"], "questions": len(sub["questions"])}
        for sub in (paper.layout or {}).get("subtests", [])
    ]


def login(
    session: Session, participant_no: str, pin: str, room_token: str, *, exam_id: int | None = None
) -> LoginOutcome:
    """Check credentials and the room; bind the paper to a new login (refused while another is connected).

    ``exam_id``: the exam the caller took the room for (it checked that exam's lockout already); a room of another
    exam, or no room, raises :class:`RoomChanged` before the PIN is tried."""
    # the room, the participant of its exam, their paper and the exam in one read (checked in the order below)
    number = participant_no.strip()
    found = session.execute(
        select(Room, Candidate, Paper, Exam)
        .select_from(Room)
        .outerjoin(Candidate, (Candidate.exam_id == Room.exam_id) & (Candidate.participant_no == number))
        .outerjoin(Paper, Paper.candidate_id == Candidate.id)
        .outerjoin(Exam, Exam.id == Room.exam_id)
        .where(Room.token == room_token.strip().upper())
        .limit(1)
    ).first()
    room, candidate, paper, exam = found if found is not None else (None, None, None, None)
    if exam_id is not None and (room is None or room.exam_id != exam_id):
        raise RoomChanged(room.exam_id if room is not None else None)
    if room is None:
        raise AppError("bad_credentials", _("Wrong participant number, PIN or room token."), 401)
    if candidate is None or not verify_pin(candidate.pin_hash, pin.strip(), pepper=pin_pepper_for(session)):
        raise AppError("bad_credentials", _("Wrong participant number, PIN or room token."), 401)
    if candidate.room_id is not None and candidate.room_id != room.id:
        raise AppError("wrong_room", _("You are registered in another room. Ask the proctor."), 403)
    if room.session_id is not None and (paper is None or paper.state == "issued"):
        # a room of a session: new sign-ins only while the committee has the session open
        if session.scalar(select(ExamSession.state).where(ExamSession.id == room.session_id)) != "open":
            raise AppError("session_not_open", _("Your session is not open for login. Ask the proctor."), 403)
    if not room.is_open and (paper is None or paper.state == "issued"):
        # closing the room stops new sign-ins only: a started candidate back after a crash or a release gets in
        raise AppError("room_closed", _("This room is not open for login. Ask the proctor."), 403)
    if paper is None:
        raise AppError("no_paper", _("No paper has been prepared for you. Ask the proctor."), 403)
    if paper.connected_sid is not None:
        events.publish(
            events.SECOND_DEVICE, exam_id=candidate.exam_id, room_id=candidate.room_id, candidate_id=candidate.id,
            paper_id=paper.id, participant_no=candidate.participant_no,
        )
        # the audit row is written by the proctor pump from this event: this transaction is rolled back
        raise AppError(
            "already_connected",
            _("This participant is already connected on another device. Ask the proctor to release it."),
            409,
        )
    paper.session_id = secrets.token_urlsafe(16)
    assert exam is not None
    audit.record(
        session, "login", actor=f"candidate:{candidate.participant_no}", exam_id=exam.id, room_id=room.id,
        candidate_id=candidate.id,
    )
    events.publish(
        events.LOGGED_IN, exam_id=exam.id, room_id=room.id, candidate_id=candidate.id, paper_id=paper.id,
        participant_no=candidate.participant_no,
    )
    return LoginOutcome(candidate, exam, paper, paper.session_id)


@dataclass(frozen=True)
class Attached:
    """A live connection bound to its paper: where that paper's pushes go, and the connection it replaces."""

    exam_id: int
    candidate_id: int
    room_id: int | None
    previous: str | None  # the connection to drop (another device or an older socket of this login), or None


def connect(session: Session, paper_id: int, session_id: str, sid: str) -> Attached:
    """Attach a live connection: one read (with the candidate's room) and one update, no paper object loaded (its
    layout is not needed here); returns where it belongs and the connection it replaces (to be dropped)."""
    row = session.execute(
        select(Paper.session_id, Paper.connected_sid, Paper.exam_id, Paper.candidate_id, Candidate.room_id)
        .outerjoin(Candidate, Candidate.id == Paper.candidate_id)
        .where(Paper.id == paper_id)
    ).first()
    if row is None or row.session_id != session_id:
        raise AppError("session_replaced", _("You logged in elsewhere or were released: log in again."), 401)
    now = clock.now()
    session.execute(update(Paper).where(Paper.id == paper_id).values(connected_sid=sid, last_seen_at=now))
    _hold(session, paper_id, sid, now)
    previous = row.connected_sid if row.connected_sid != sid else None
    return Attached(row.exam_id, row.candidate_id, row.room_id, previous)


def _hold(session: Session, paper_id: int, sid: str, now: datetime | None = None) -> None:
    """Record that this process holds the paper's connection, so the mark is cleared if the process stops."""
    session.execute(delete(ConnectionHolder).where(ConnectionHolder.paper_id == paper_id))
    session.execute(insert(ConnectionHolder).values(
        sid=sid, paper_id=paper_id, process_id=liveness.process_id(), since=now or clock.now()
    ))


def disconnect(session: Session, paper_id: int, sid: str) -> bool:
    """Detach ``sid`` if it is still the paper's connection (a replaced one changes nothing)."""
    result = session.execute(
        update(Paper)
        .where(Paper.id == paper_id, Paper.connected_sid == sid)
        .values(connected_sid=None, last_seen_at=clock.now())
    )
    session.execute(delete(ConnectionHolder).where(ConnectionHolder.sid == sid))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _clear_marks(session: Session, sids: Any) -> list[dict[str, Any]]:
    """Clear the papers connected through ``sids`` (a subquery); what was cleared, for the proctors' grids."""
    rows = session.execute(
        select(Paper.id, Paper.exam_id, Paper.candidate_id, Candidate.room_id)
        .join(Candidate, Candidate.id == Paper.candidate_id)
        .where(Paper.connected_sid.in_(sids))
    ).all()
    if rows:
        session.execute(
            update(Paper).where(Paper.connected_sid.in_(sids)).values(connected_sid=None)
            .execution_options(synchronize_session=False)
        )
    return [{"paper_id": r[0], "exam_id": r[1], "candidate_id": r[2], "room_id": r[3]} for r in rows]


def clear_connections_of(session: Session, process_ids: list[str]) -> list[dict[str, Any]]:
    """A serving process stopped: its candidates are not connected any more and may log in on another."""
    if not process_ids:
        return []
    held = select(ConnectionHolder.sid).where(ConnectionHolder.process_id.in_(process_ids))
    cleared = _clear_marks(session, held)
    session.execute(delete(ConnectionHolder).where(ConnectionHolder.process_id.in_(process_ids)))
    return cleared


def clear_unheld_connections(session: Session) -> list[dict[str, Any]]:
    """Clear marks no live process answers for (held by a process no longer registered, or by nobody)."""
    session.execute(
        delete(ConnectionHolder).where(ConnectionHolder.process_id.not_in(select(ServerProcess.id)))
        .execution_options(synchronize_session=False)
    )
    unheld = select(Paper.connected_sid).where(
        Paper.connected_sid.is_not(None), Paper.connected_sid.not_in(select(ConnectionHolder.sid))
    )
    return _clear_marks(session, unheld)


def restore_connections(session: Session, held: dict[str, int]) -> int:
    """This process was taken for stopped but is alive: mark again its connections nobody else took meanwhile."""
    restored = 0
    for sid, paper_id in held.items():
        done = session.execute(
            update(Paper).where(Paper.id == paper_id, Paper.connected_sid.is_(None)).values(connected_sid=sid)
        )
        if done.rowcount:  # type: ignore[attr-defined]
            _hold(session, paper_id, sid)
            restored += 1
    return restored


def release_binding(session: Session, paper: Paper) -> str | None:
    """Free the paper for a login on another device; returns the connection to drop, if any."""
    sid = paper.connected_sid
    paper.session_id = None
    paper.connected_sid = None
    session.execute(delete(ConnectionHolder).where(ConnectionHolder.paper_id == paper.id))
    return sid


def stored_package(session: Session, paper_id: int) -> dict[str, str]:
    """The paper as sealed for this candidate at issue (safe to hand out before the start: no key inside), read as
    stored in one query: nothing is rebuilt or sealed again (the two columns are deferred on a loaded paper)."""
    row = session.execute(
        select(Paper.package_nonce, Paper.package_ciphertext).where(Paper.id == paper_id)
    ).first()
    if row is None:
        raise AppError("unknown_paper", _("This paper does not exist."), 404)
    return {"alg": "AES-256-GCM", "nonce": b64e(row[0]), "ciphertext": b64e(row[1])}


def remaining_ms(paper: Paper, now: datetime | None = None) -> int:
    """Time left on the paper's clock: frozen while paused, zero when finished."""
    if paper.state == "paused":
        return max(0, int(paper.remaining_ms or 0))
    if paper.state != "started" or paper.deadline is None:
        return 0
    left = (paper.deadline - (now or clock.now())).total_seconds() * 1000
    return max(0, int(left))


def time_payload(paper: Paper, now: datetime | None = None) -> dict[str, Any]:
    """The ``time`` event body (and the timing part of ``start``)."""
    now = now or clock.now()
    return {
        "remaining_ms": remaining_ms(paper, now),
        "server_time": clock.isoformat(now),
        "deadline": clock.isoformat(paper.deadline) if paper.deadline else None,
        "paused": paper.state == "paused",
    }


def start(session: Session, paper: Paper, exam: Exam) -> None:
    """Fix the deadline in the database on the first start; later starts change nothing (idempotent)."""
    if paper.state != "issued":
        return
    if exam.key_released_at is None:
        raise AppError("not_released", _("The exam has not been opened yet. Please wait for the proctor."), 403)
    candidate = session.get(Candidate, paper.candidate_id)  # usually loaded already: the room comes with it
    room_id = candidate.room_id if candidate is not None else None
    # the room's pause is all the start needs of it (a column, not the room)
    paused_at = session.scalar(select(Room.paused_at).where(Room.id == room_id)) if room_id is not None else None
    accommodated_ms = int(candidate.extra_time_s or 0) * 1000 if candidate else 0  # set in advance (the import)
    now = clock.now()
    paper.started_at = now
    total_ms = exam.duration_s * 1000 + accommodated_ms + int(paper.extra_ms or 0)
    if paused_at is not None:
        paper.state, paper.deadline, paper.remaining_ms = "paused", None, total_ms
    else:
        paper.state, paper.deadline = "started", now + timedelta(milliseconds=total_ms)
    audit.record(
        session, "start", actor=f"candidate:{candidate.participant_no if candidate else '?'}", exam_id=exam.id,
        candidate_id=paper.candidate_id, deadline=clock.isoformat(paper.deadline) if paper.deadline else None,
        **({"extra_time_s": accommodated_ms // 1000} if accommodated_ms else {}),
    )
    events.publish(
        events.STARTED, exam_id=exam.id, room_id=candidate.room_id if candidate else None,
        candidate_id=paper.candidate_id, paper_id=paper.id, **time_payload(paper, now),
    )


def paper_exam_candidate(session: Session, paper_id: int) -> tuple[Paper, Exam, Candidate]:
    """A paper with its exam and candidate, in one read (AppError ``unknown_paper`` when there is none)."""
    found = session.execute(
        select(Paper, Exam, Candidate)
        .join(Exam, Exam.id == Paper.exam_id)
        .join(Candidate, Candidate.id == Paper.candidate_id)
        .where(Paper.id == paper_id)
    ).first()
    if found is None:
        raise AppError("unknown_paper", _("This paper does not exist."), 404)
    return found[0], found[1], found[2]


def resume_state(session: Session, paper_id: int) -> tuple[dict[int, int | tuple[int, ...]], list[int], int]:
    """Every stored answer {version id: option id, or the chosen set}, the flagged version ids and the highest seq
    applied (:func:`last_seq`), in one read: what a (re)starting page needs."""
    answers: dict[int, int | tuple[int, ...]] = {}
    flags: list[int] = []
    top = 0
    for row in session.execute(
        select(Answer.item_version_id, Answer.option_id, Answer.option_ids, Answer.flagged, Answer.seq, Answer.flag_seq)
        .where(Answer.paper_id == paper_id)
    ):
        if row.option_id is not None:
            answers[row.item_version_id] = row.option_id
        elif row.option_ids:
            answers[row.item_version_id] = tuple(row.option_ids)
        if row.flagged:
            flags.append(row.item_version_id)
        top = max(top, int(row.seq or 0), int(row.flag_seq or 0))
    return answers, flags, top


def saved_state(session: Session, paper_id: int) -> tuple[dict[int, int | tuple[int, ...]], list[int]]:
    """Every stored answer {version id: option id, or the chosen set} and the flagged version ids, for resuming."""
    answers, flags, _top = resume_state(session, paper_id)
    return answers, flags


def last_seq(session: Session, paper_id: int) -> int:
    """The highest seq applied on the paper (answers and flags share one sequence): the page continues above it."""
    row = session.execute(
        select(func.max(Answer.seq), func.max(Answer.flag_seq)).where(Answer.paper_id == paper_id)
    ).one()
    return max(int(row[0] or 0), int(row[1] or 0))


def result_payload(result: Result) -> dict[str, Any]:
    """A result as the candidate sees it in the ``submit`` ack."""
    return {
        "total": result.total, "subtests": dict(result.subtests), "passed": result.passed, "reasons": result.reasons,
    }


def finish(session: Session, paper: Paper, reason: str, *, actor: str = "system", note: str | None = None) -> bool:
    """Close the paper exactly once (``True`` if this call did it); the caller then scores it."""
    if reason not in FINISH_REASONS:
        raise ValueError(f"unknown finish reason {reason!r}")
    # take the paper's write lock first (the answer writer takes the same one), then read the clock: no answer
    # commits after this, and every answer committed before it was saved at or before ``finished_at``
    session.execute(
        update(Paper).where(Paper.id == paper.id).values(state=Paper.state).execution_options(synchronize_session=False)
    )
    now = clock.now()
    done = session.execute(
        update(Paper)
        .where(Paper.id == paper.id, Paper.state != "finished")
        .values(state="finished", finished_at=now, finish_reason=reason, remaining_ms=0)
        .execution_options(synchronize_session=False)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        session.refresh(paper)
        return False
    # what this update wrote, without reading the row back (its layout is large): nothing else changes when finishing
    for name, value in (("state", "finished"), ("finished_at", now), ("finish_reason", reason), ("remaining_ms", 0)):
        set_committed_value(paper, name, value)
    audit.record(
        session, f"finish:{reason}", actor=actor, exam_id=paper.exam_id, candidate_id=paper.candidate_id,
        reason=note,
    )
    return True


def expired_papers(session: Session, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Papers whose deadline has passed but which are not finished yet (the ticker finalises them)."""
    now = now or clock.now()
    return list(
        session.scalars(
            select(Paper.id)
            .where(Paper.state == "started", Paper.deadline <= now)
            .order_by(Paper.deadline)
            .limit(limit)
        )
    )


# --- Clock changes by proctors: each moves the deadline in the database and says so -------------------------


def extend(session: Session, paper: Paper, seconds: int) -> None:
    """Give the paper more (or, negative, less) time; a finished paper cannot be reopened."""
    if paper.state == "finished":
        raise AppError("finished", _("This paper is already finished."), 409)
    delta_ms = int(seconds) * 1000
    paper.extra_ms = int(paper.extra_ms or 0) + delta_ms
    if paper.state == "started" and paper.deadline is not None:
        paper.deadline = paper.deadline + timedelta(milliseconds=delta_ms)
    elif paper.state == "paused":
        paper.remaining_ms = max(0, int(paper.remaining_ms or 0) + delta_ms)


def pause(session: Session, paper: Paper, now: datetime | None = None) -> None:
    """Freeze the paper's clock (a power cut): the remaining time is kept, the deadline cleared."""
    if paper.state != "started":
        return
    now = now or clock.now()
    paper.remaining_ms = remaining_ms(paper, now)
    paper.state, paper.deadline = "paused", None


def resume(session: Session, paper: Paper, now: datetime | None = None) -> None:
    """Restart a paused clock exactly where it stopped."""
    if paper.state != "paused":
        return
    now = now or clock.now()
    paper.deadline = now + timedelta(milliseconds=int(paper.remaining_ms or 0))
    paper.state, paper.remaining_ms = "started", None


# --- Locks by proctors: the paper refuses answers and start while locked; the clock keeps running -------------


def lock(session: Session, paper: Paper) -> None:
    """Stop a candidate from working (suspected cheating, a seat change): answers are refused until unlocked."""
    if paper.state == "finished":
        raise AppError("finished", _("This paper is already finished."), 409)
    if paper.locked:
        raise AppError("already_locked", _("This candidate is already locked."), 409)
    paper.locked = True


def unlock(session: Session, paper: Paper) -> None:
    """Let a locked candidate continue where they were."""
    if not paper.locked:
        raise AppError("not_locked", _("This candidate is not locked."), 409)
    paper.locked = False
