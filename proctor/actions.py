"""Proctor actions as services: each checks who may act on which room, needs a reason, changes the papers through
``candidate.sessions``, writes one ``proctor.<action>`` audit row (the incident log) and says what to push."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from candidate import lockouts, sessions
from candidate.closing import close_paper
from ground import audit, clock, db
from ground.errors import AppError
from ground.i18n import _
from ground.models import Candidate, Paper, Room
from ground.passwords import new_room_token
from ground.staff import accounts as staff_service
from ground.staff.accounts import StaffInfo
from proctor import board

MAX_REASON = 500
MAX_EXTEND_S = 4 * 3600
ACTIONS = (
    "extend", "pause_room", "resume_room", "lock", "unlock", "release", "force_submit", "announce", "rotate_token",
    "open_room", "close_room", "clear_lockout",
)


@dataclass
class Outcome:
    """What an action did, for the face to push after the commit (to candidates, to the room's proctors)."""

    action: str
    room_id: int
    paper_ids: list[int] = field(default_factory=list)  # grid rows to refresh
    times: dict[int, dict[str, Any]] = field(default_factory=dict)  # paper id -> ``time`` payload for the candidate
    notice: dict[str, Any] | None = None  # ``proctor_action`` payload for the affected candidates
    drop_sids: list[str] = field(default_factory=list)  # candidate connections to close (device released)
    ended: list[int] = field(default_factory=list)  # papers force-submitted
    announcement: str | None = None
    feed: dict[str, Any] = field(default_factory=dict)
    room: dict[str, Any] | None = None  # the room card, when the room itself changed
    reply: dict[str, Any] = field(default_factory=dict)  # extra fields for the proctor's ack


def check_reason(reason: Any) -> str:
    """A reason is required for every action: non-empty text of at most 500 characters."""
    if not isinstance(reason, str) or not reason.strip():
        raise AppError("reason_required", _("Give a reason: it goes into the incident log."), 400)
    if len(reason) > MAX_REASON:
        raise AppError("reason_too_long", _("The reason is longer than %(n)s characters.", n=MAX_REASON), 400)
    return reason.strip()


def authorize_account(session: Session, staff: StaffInfo) -> StaffInfo:
    """Re-check the account (signed out everywhere? deactivated?) in the caller's transaction."""
    fresh = staff_service.still_valid(session, staff)
    if fresh is None:
        raise AppError("not_signed_in", _("Your session has ended. Sign in again."), 401)
    return fresh


def authorize(session: Session, staff: StaffInfo, room_id: int) -> Room:
    """The room, if the account is still valid and may act on it (403 for a room not assigned to a proctor)."""
    return staff_service.require_room(session, authorize_account(session, staff), room_id)


def _paper(session: Session, room: Room, candidate_id: int) -> tuple[Paper, Candidate]:
    cand = session.get(Candidate, candidate_id)
    if cand is None or cand.room_id != room.id:
        raise AppError("unknown_candidate", _("This candidate is not in this room."), 404)
    paper = session.scalar(select(Paper).where(Paper.candidate_id == cand.id))
    if paper is None:
        raise AppError("no_paper", _("No paper has been prepared for this candidate."), 404)
    return paper, cand


def _room_papers(session: Session, room: Room) -> list[Paper]:
    return list(
        session.scalars(
            select(Paper).join(Candidate, Candidate.id == Paper.candidate_id).where(Candidate.room_id == room.id)
        )
    )


def _log(
    session: Session, out: Outcome, staff: StaffInfo, room: Room, reason: str, candidate: Candidate | None = None,
    **details: Any,
) -> None:
    ev = audit.record(
        session, f"proctor.{out.action}", actor=staff.actor, exam_id=room.exam_id, room_id=room.id,
        candidate_id=candidate.id if candidate else None, reason=reason, **details,
    )
    session.flush()
    who = {candidate.id: (candidate.participant_no, candidate.name)} if candidate else {}
    out.feed = board.feed_item(ev, who)


def extend(
    session: Session, staff: StaffInfo, room_id: int, candidate_id: int | None, seconds: Any, reason: Any
) -> Outcome:
    """More (or, negative, less) time for one candidate or, without ``candidate_id``, every unfinished paper."""
    reason = check_reason(reason)
    room = authorize(session, staff, room_id)
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds == 0 or abs(seconds) > MAX_EXTEND_S:
        raise AppError(
            "bad_seconds", _("Field 'seconds' must be a non-zero whole number up to %(n)s.", n=MAX_EXTEND_S), 400
        )
    out = Outcome("extend", room.id)
    if candidate_id is not None:
        paper, cand = _paper(session, room, candidate_id)
        papers, target = [paper], cand
    else:
        papers, target = [p for p in _room_papers(session, room) if p.state != "finished"], None
    now = clock.now()
    for paper in papers:
        sessions.extend(session, paper, seconds)
        out.paper_ids.append(paper.id)
        if paper.state != "issued":
            out.times[paper.id] = sessions.time_payload(paper, now)
    out.notice = {"kind": "extend", "seconds": seconds, "message": _("The proctor changed your time.")}
    out.reply = {"count": len(papers)}
    _log(session, out, staff, room, reason, target, seconds=seconds, papers=len(papers))
    return out


def pause_room(session: Session, staff: StaffInfo, room_id: int, reason: Any) -> Outcome:
    """Stop every clock in the room (a power cut); papers started later start paused."""
    reason = check_reason(reason)
    room = authorize(session, staff, room_id)
    if room.paused_at is not None:
        raise AppError("already_paused", _("The room is already paused."), 409)
    now = clock.now()
    room.paused_at = now
    out = Outcome("pause_room", room.id)
    for paper in _room_papers(session, room):
        if paper.state == "started":
            sessions.pause(session, paper, now)
            out.paper_ids.append(paper.id)
            out.times[paper.id] = sessions.time_payload(paper, now)
    out.notice = {"kind": "pause", "message": _("The exam is paused by the proctor. The clock is stopped.")}
    out.reply = {"count": len(out.paper_ids)}
    _log(session, out, staff, room, reason, papers=len(out.paper_ids))
    out.room = board.room_card(session, room)
    return out


def resume_room(session: Session, staff: StaffInfo, room_id: int, reason: Any) -> Outcome:
    """Restart every paused clock exactly where it stopped."""
    reason = check_reason(reason)
    room = authorize(session, staff, room_id)
    if room.paused_at is None:
        raise AppError("not_paused", _("The room is not paused."), 409)
    now = clock.now()
    paused_s = round((now - room.paused_at).total_seconds(), 3)
    room.paused_at = None
    out = Outcome("resume_room", room.id)
    for paper in _room_papers(session, room):
        if paper.state == "paused":
            sessions.resume(session, paper, now)
            out.paper_ids.append(paper.id)
            out.times[paper.id] = sessions.time_payload(paper, now)
    out.notice = {"kind": "resume", "message": _("The exam continues.")}
    out.reply = {"count": len(out.paper_ids), "paused_s": paused_s}
    _log(session, out, staff, room, reason, papers=len(out.paper_ids), paused_s=paused_s)
    out.room = board.room_card(session, room)
    return out


def _set_lock(
    session: Session, staff: StaffInfo, room_id: int, candidate_id: int, reason: Any, locked: bool
) -> Outcome:
    """Lock and unlock are one act with two directions: same checks, same log, the notice says which."""
    reason = check_reason(reason)
    room = authorize(session, staff, room_id)
    paper, cand = _paper(session, room, candidate_id)
    (sessions.lock if locked else sessions.unlock)(session, paper)
    kind = "lock" if locked else "unlock"
    out = Outcome(kind, room.id, paper_ids=[paper.id])
    message = _("Your exam is locked by the proctor.") if locked else _("The proctor unlocked your exam.")
    out.notice = {"kind": kind, "locked": locked, "message": message}
    _log(session, out, staff, room, reason, cand)
    return out


def lock(session: Session, staff: StaffInfo, room_id: int, candidate_id: int, reason: Any) -> Outcome:
    return _set_lock(session, staff, room_id, candidate_id, reason, locked=True)


def unlock(session: Session, staff: StaffInfo, room_id: int, candidate_id: int, reason: Any) -> Outcome:
    return _set_lock(session, staff, room_id, candidate_id, reason, locked=False)


def release(session: Session, staff: StaffInfo, room_id: int, candidate_id: int, reason: Any) -> Outcome:
    """Free the device binding so the candidate can log in on a spare PC and continue (same paper, same clock)."""
    reason = check_reason(reason)
    room = authorize(session, staff, room_id)
    paper, cand = _paper(session, room, candidate_id)
    if paper.state == "finished":
        raise AppError("finished", _("This paper is already finished."), 409)
    sid = sessions.release_binding(session, paper)
    out = Outcome("release", room.id, paper_ids=[paper.id], drop_sids=[sid] if sid else [])
    out.notice = {"kind": "released", "message": _("The proctor moved your exam to another computer. Log in there.")}
    _log(session, out, staff, room, reason, cand, was_connected=sid is not None)
    return out


def prepare_force_submit(session: Session, staff: StaffInfo, room_id: int, candidate_id: int, reason: Any) -> Outcome:
    """The checks and the incident row of a force-submit; ``force_submit`` then closes and scores the paper."""
    reason = check_reason(reason)
    room = authorize(session, staff, room_id)
    paper, cand = _paper(session, room, candidate_id)
    if paper.state == "finished":
        raise AppError("finished", _("This paper is already finished."), 409)
    if paper.state == "issued":
        raise AppError("not_started", _("The exam has not started yet."), 409)
    out = Outcome("force_submit", room.id, paper_ids=[paper.id], ended=[paper.id])
    out.notice = {"kind": "force_submit", "message": _("The proctor ended your exam.")}
    out.reply = {"reason": reason}
    _log(session, out, staff, room, reason, cand)
    return out


def force_submit(
    db_url: str, staff: StaffInfo, room_id: int, candidate_id: int, reason: Any, key: Ed25519PrivateKey
) -> Outcome:
    """Log, then finish and score the paper as ``proctor`` (call after the answer writer's barrier)."""
    with db.session_scope(db_url) as session:
        out = prepare_force_submit(session, staff, room_id, candidate_id, reason)
    closed = close_paper(db_url, out.ended[0], "proctor", key, actor=staff.actor, note=out.reply["reason"])
    out.reply = {"result": closed.result}
    return out


def announce(session: Session, staff: StaffInfo, room_id: int, message: Any) -> Outcome:
    """A message to every candidate in the room; the message is its own reason in the log."""
    if not isinstance(message, str) or not message.strip():
        raise AppError("message_required", _("Write the announcement first."), 400)
    text = check_reason(message)
    room = authorize(session, staff, room_id)
    out = Outcome("announce", room.id, announcement=text)
    _log(session, out, staff, room, text)
    return out


def rotate_token(session: Session, staff: StaffInfo, room_id: int, reason: Any) -> Outcome:
    """A new room token (the old one stops working at once; candidates already in stay in)."""
    reason = check_reason(reason)
    room = authorize(session, staff, room_id)
    room.token = new_room_token()
    out = Outcome("rotate_token", room.id)
    _log(session, out, staff, room, reason)
    out.room = board.room_card(session, room)
    return out


def set_open(session: Session, staff: StaffInfo, room_id: int, is_open: bool, reason: Any) -> Outcome:
    """Open the room for logins shortly before the start, close it after (candidates inside keep working)."""
    reason = check_reason(reason)
    room = authorize(session, staff, room_id)
    if bool(room.is_open) == is_open:
        raise AppError("no_change", _("The room is already like that."), 409)
    room.is_open = is_open
    out = Outcome("open_room" if is_open else "close_room", room.id)
    _log(session, out, staff, room, reason)
    out.room = board.room_card(session, room)
    return out


def _room_candidate(session: Session, room: Room, candidate_id: int) -> Candidate:
    cand = session.get(Candidate, candidate_id)
    if cand is None or cand.room_id != room.id:
        raise AppError("unknown_candidate", _("This candidate is not in this room."), 404)
    return cand


def lockout_account(session: Session, staff: StaffInfo, room_id: int, candidate_id: int, reason: Any) -> str:
    """The checks of a lockout clearing (reason, room, candidate) and the limiter key to clear; writes nothing."""
    check_reason(reason)
    room = authorize(session, staff, room_id)
    return lockouts.account(room.exam_id, _room_candidate(session, room, candidate_id).participant_no)


def clear_lockout(
    session: Session, staff: StaffInfo, room_id: int, candidate_id: int, reason: Any, failures: int
) -> Outcome:
    """Log that the proctor let a candidate locked out by wrong PINs try again (the face cleared ``failures``)."""
    reason = check_reason(reason)
    room = authorize(session, staff, room_id)
    cand = _room_candidate(session, room, candidate_id)
    out = Outcome("clear_lockout", room.id)
    out.reply = {"failures": failures}
    _log(session, out, staff, room, reason, cand, failures=failures)
    return out
