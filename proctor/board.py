"""What the dashboard shows, read from the database: one row per candidate, the room card, the event feed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, defer

from candidate import sessions
from ground import clock
from ground.models import Answer, AuditEvent, Candidate, Exam, Paper, Result, Room

STATUSES = ("not_signed_in", "waiting", "working", "paused", "disconnected", "finished", "locked")
# Audit actions that appear in the event feed (the incident log is the proctor.* part of it).
FEED_ACTIONS = (
    "login", "connected", "disconnected", "second_device_refused", "start", "focus_lost", "fullscreen_exit",
    "finish:submitted", "finish:time_up", "finish:proctor", "login_locked",
)
FOCUS_ACTIONS = ("focus_lost", "fullscreen_exit")
_totals: dict[int, int] = {}  # paper id -> number of questions (a layout never changes once issued)


def status(paper: Paper) -> str:
    """One word for the grid cell; the first that applies wins (finished, locked, disconnected, ...)."""
    if paper.state == "finished":
        return "finished"
    if paper.locked:
        return "locked"
    if paper.state in ("started", "paused"):
        if paper.connected_sid is None:
            return "disconnected"
        return "paused" if paper.state == "paused" else "working"
    if paper.connected_sid is not None or paper.session_id is not None:
        return "waiting"
    return "not_signed_in"


def _count_questions(session: Session, paper_ids: list[int]) -> None:
    """Remember the question count of papers not counted yet, their layouts read in one query (not one each)."""
    missing = [pid for pid in paper_ids if pid not in _totals]
    if missing:
        for pid, layout in session.execute(select(Paper.id, Paper.layout).where(Paper.id.in_(missing))):
            _totals[pid] = sum(len(s["questions"]) for s in (layout or {}).get("subtests", []))


def _iso(dt: datetime | None) -> str | None:
    return clock.isoformat(dt) if dt else None


def rows(
    session: Session, *, room_id: int | None = None, paper_ids: Iterable[int] | None = None
) -> list[dict[str, Any]]:
    """The grid rows of a room, or of some papers (what changed): state, progress, time, focus losses, IP."""
    query = (
        select(Paper, Candidate)
        .join(Candidate, Candidate.id == Paper.candidate_id)
        .options(defer(Paper.layout))  # read once per paper for its question count (_count_questions)
    )
    if room_id is not None:
        query = query.where(Candidate.room_id == room_id)
    if paper_ids is not None:
        ids = list(paper_ids)
        if not ids:
            return []
        query = query.where(Paper.id.in_(ids))
    pairs = session.execute(query.order_by(Candidate.participant_no)).all()
    if not pairs:
        return []
    pids = [p.id for p, _ in pairs]
    cids = [c.id for _, c in pairs]
    progress = {
        r.paper_id: (int(r.answered), r.last_saved)
        for r in session.execute(
            select(
                Answer.paper_id,
                # an answered question holds one option, or a set of them (multiple response; an empty set is NULL)
                (func.count(Answer.option_id) + func.count(Answer.option_ids)).label("answered"),
                func.max(Answer.saved_at).label("last_saved"),
            )
            .where(Answer.paper_id.in_(pids))
            .group_by(Answer.paper_id)
        )
    }
    focus: dict[tuple[int, str], int] = {
        (r.candidate_id, r.action): int(r.n)
        for r in session.execute(
            select(AuditEvent.candidate_id, AuditEvent.action, func.count().label("n"))
            .where(AuditEvent.candidate_id.in_(cids), AuditEvent.action.in_(FOCUS_ACTIONS))
            .group_by(AuditEvent.candidate_id, AuditEvent.action)
        )
    }
    last_connect = select(func.max(AuditEvent.id)).where(
        AuditEvent.candidate_id.in_(cids), AuditEvent.action == "connected"
    ).group_by(AuditEvent.candidate_id)
    ips = {
        ev.candidate_id: (ev.details or {}).get("ip")
        for ev in session.scalars(select(AuditEvent).where(AuditEvent.id.in_(last_connect)))
    }
    results = {
        r.paper_id: r for r in session.scalars(select(Result).where(Result.paper_id.in_(pids)))
    }
    _count_questions(session, pids)
    now = clock.now()
    out = []
    for paper, cand in pairs:
        answered, last_saved = progress.get(paper.id, (0, None))
        seen = [t for t in (paper.last_seen_at, last_saved) if t is not None]
        total = _totals.get(paper.id, 0)
        result = results.get(paper.id)
        out.append({
            "candidate_id": cand.id,
            "paper_id": paper.id,
            "room_id": cand.room_id,
            "participant_no": cand.participant_no,
            "name": cand.name,
            "status": status(paper),
            "state": paper.state,
            "locked": bool(paper.locked),
            "connected": paper.connected_sid is not None,
            "answered": answered,
            "total": total,
            "progress": round(answered / total, 3) if total else 0.0,
            "remaining_ms": sessions.remaining_ms(paper, now),
            "deadline": _iso(paper.deadline),
            "extra_s": int(paper.extra_ms or 0) // 1000,
            "accommodations": sessions.accommodations(cand),
            "focus_lost": focus.get((cand.id, "focus_lost"), 0),
            "fullscreen_exits": focus.get((cand.id, "fullscreen_exit"), 0),
            "last_seen": _iso(max(seen)) if seen else None,
            "ip": ips.get(cand.id),
            "finish_reason": paper.finish_reason,
            "total_score": result.total if result else None,
            "passed": result.passed if result else None,
        })
    return out


def room_card(session: Session, room: Room, *, with_token: bool = True) -> dict[str, Any]:
    """A room as the dashboard lists it (the token only for staff who may see the room)."""
    exam = session.get(Exam, room.exam_id)
    count = session.scalar(select(func.count()).select_from(Candidate).where(Candidate.room_id == room.id)) or 0
    card: dict[str, Any] = {
        "id": room.id,
        "code": room.code,
        "name": room.name,
        "exam": {"code": exam.code, "title": exam.title, "duration_s": exam.duration_s} if exam else None,
        "is_open": bool(room.is_open),
        "paused": room.paused_at is not None,
        "paused_at": _iso(room.paused_at),
        "capacity": room.capacity,
        "scheduled_start": _iso(room.scheduled_start),
        "candidates": int(count),
        "server_time": clock.isoformat(clock.now()),
    }
    if with_token:
        card["token"] = room.token
    return card


def feed_item(ev: AuditEvent, who: dict[int, tuple[str, str]]) -> dict[str, Any]:
    """One event feed line from an audit row (``who``: candidate id -> (participant no, name))."""
    number, name = who.get(ev.candidate_id or -1, (None, None))
    return {
        "id": ev.id,
        "at": clock.isoformat(ev.at),
        "kind": ev.action,
        "actor": ev.actor,
        "candidate_id": ev.candidate_id,
        "participant_no": number,
        "name": name,
        "reason": ev.reason,
        "details": ev.details or {},
    }


def feed(
    session: Session, room_id: int, *, kinds: Iterable[str] | None = None, limit: int = 200, incidents: bool = False
) -> list[dict[str, Any]]:
    """The room's recent events, newest first: candidate events and every proctor action (``incidents``: actions
    and second-device refusals only)."""
    people = {
        c.id: (c.participant_no, c.name)
        for c in session.execute(select(Candidate.id, Candidate.participant_no, Candidate.name).where(
            Candidate.room_id == room_id
        ))
    }
    wanted = list(kinds) if kinds else None
    condition = or_(
        AuditEvent.room_id == room_id,
        AuditEvent.candidate_id.in_(list(people)) if people else False,  # type: ignore[arg-type]
    )
    kind_filter = or_(AuditEvent.action.like("proctor.%"), AuditEvent.action.in_(
        ("second_device_refused",) if incidents else FEED_ACTIONS
    ))
    query = select(AuditEvent).where(condition, kind_filter)
    if wanted:
        query = query.where(AuditEvent.action.in_(wanted))
    events = session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit))
    return [feed_item(ev, people) for ev in events]


def scoreboard(session: Session, room_id: int) -> list[dict[str, Any]]:
    """Finished candidates' scores per subtest and pass/fail: participant number and name only, nothing else."""
    query = (
        select(
            Candidate.participant_no, Candidate.name, Result.subtests, Result.total, Result.passed, Result.computed_at
        )
        .join(Result, Result.candidate_id == Candidate.id)
        .where(Candidate.room_id == room_id)
        .order_by(Result.computed_at, Candidate.participant_no)
    )
    return [
        {
            "participant_no": r.participant_no, "name": r.name, "subtests": dict(r.subtests), "total": r.total,
            "passed": r.passed, "at": clock.isoformat(r.computed_at),
        }
        for r in session.execute(query)
    ]
