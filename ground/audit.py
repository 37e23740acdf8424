"""Write the audit log; rows are sealed into a SHA-256 chain afterwards, in the order sealed, so edits show."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ground import clock
from ground.models import AuditChain, AuditEvent


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


def _lock_end(session: Session) -> AuditChain:
    """Take the chain's end for this transaction: another process sealing now waits here, then sees our rows."""
    session.execute(update(AuditChain).where(AuditChain.id == 1).values(sealed=AuditChain.sealed))
    end = session.get(AuditChain, 1, populate_existing=True)
    if end is None:  # migration 0010 makes the row (from an older chain's end too); only a deletion removes it
        raise RuntimeError("audit_chain has no row: 'exam-engine init' makes it, so it was deleted (tampering?)")
    return end


def seal_pending(session: Session, limit: int = 5000) -> int:
    """Chain unsealed rows (in id order) onto the chain's end; sealers in several processes take turns."""
    if session.scalar(select(AuditEvent.id).where(AuditEvent.hash == "").limit(1)) is None:
        return 0
    end = _lock_end(session)
    prev = end.hash
    pending = session.scalars(select(AuditEvent).where(AuditEvent.hash == "").order_by(AuditEvent.id).limit(limit))
    count = 0
    for ev in pending:
        ev.prev_hash = prev
        ev.hash = prev = _digest(prev, ev)
        end.last_id = ev.id
        count += 1
    end.hash = prev
    end.sealed = int(end.sealed or 0) + count
    return count


def verify_chain(session: Session) -> int | None:
    """The first sealed row breaking the chain (edited, or one before it deleted), or None: edits must show."""
    # followed by its links, not ids (a row committed late is sealed after higher ids), from the first row to
    # the recorded end: every sealed row must be on it and each hash must match its row
    rows = list(session.scalars(select(AuditEvent).where(AuditEvent.hash != "").order_by(AuditEvent.id)))
    after: dict[str, AuditEvent] = {}
    forks: list[int] = []
    for ev in rows:
        if ev.prev_hash in after:
            forks.append(ev.id)
        else:
            after[ev.prev_hash] = ev
    prev, seen = "", set()
    ev = after.get("")
    while ev is not None and ev.id not in seen:
        if ev.hash != _digest(prev, ev):
            return ev.id
        seen.add(ev.id)
        prev = ev.hash
        ev = after.get(prev)
    off_chain = [r.id for r in rows if r.id not in seen] + forks
    if off_chain:
        return min(off_chain)
    end = session.get(AuditChain, 1)
    if end is None:  # migration 0010 records the end; without it deleted rows at the end could not show
        return rows[-1].id if rows else None
    if end.hash and end.hash != prev:  # rows at the end were deleted
        return end.last_id if end.last_id is not None else -1
    return None
