"""Write the audit log; rows are sealed into a SHA-256 chain afterwards, in id order, so edits show."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import clock
from ground.models import AuditEvent


def record(
    session: Session,
    action: str,
    *,
    actor: str = "system",
    exam_id: int | None = None,
    room_id: int | None = None,
    candidate_id: int | None = None,
    reason: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add one audit row to ``session`` (committed with the caller's transaction, sealed later)."""
    event = AuditEvent(
        at=clock.now(), actor=actor, action=action, exam_id=exam_id, room_id=room_id, candidate_id=candidate_id,
        reason=reason, details=details, prev_hash="", hash="",
    )
    session.add(event)
    return event


def _digest(prev: str, ev: AuditEvent) -> str:
    row = {
        "id": ev.id, "at": clock.isoformat(ev.at), "actor": ev.actor, "action": ev.action, "exam_id": ev.exam_id,
        "room_id": ev.room_id, "candidate_id": ev.candidate_id, "reason": ev.reason, "details": ev.details,
    }
    body = json.dumps(row, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256((prev + body).encode()).hexdigest()


def seal_pending(session: Session, limit: int = 5000) -> int:
    """Chain unsealed rows (in id order) onto the last sealed one; one sealer runs (the ticker)."""
    prev = session.scalar(
        select(AuditEvent.hash).where(AuditEvent.hash != "").order_by(AuditEvent.id.desc()).limit(1)
    ) or ""
    pending = session.scalars(select(AuditEvent).where(AuditEvent.hash == "").order_by(AuditEvent.id).limit(limit))
    count = 0
    for ev in pending:
        ev.prev_hash = prev
        ev.hash = prev = _digest(prev, ev)
        count += 1
    return count


def verify_chain(session: Session) -> int | None:
    """The id of the first sealed row whose hash does not match (edited, or a row deleted), or None."""
    prev = ""
    for ev in session.scalars(select(AuditEvent).where(AuditEvent.hash != "").order_by(AuditEvent.id)):
        if ev.prev_hash != prev or ev.hash != _digest(prev, ev):
            return ev.id
        prev = ev.hash
    return None
