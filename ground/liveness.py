"""This process's identity and heartbeat, and which other serving processes have stopped beating.

A process counts its heartbeats in its ``server_processes`` row. Another process judges it by whether that
count still moves, measured on its own monotonic clock: wall clocks of two machines (or two test processes
with shifted clocks) never have to agree.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ground import clock
from ground.models.liveness import ServerProcess

STALE_AFTER_S = 6.0  # a process whose count has not moved for this long is taken for stopped
HOST = socket.gethostname()[:200]

_identity: tuple[int, str] | None = None


def process_id() -> str:
    """This OS process's name in the liveness tables: host, pid and a random part (a reused pid is a new name)."""
    global _identity
    if _identity is None or _identity[0] != os.getpid():
        _identity = (os.getpid(), f"{HOST}:{os.getpid()}:{secrets.token_hex(4)}")
    return _identity[1]


def beat(session: Session) -> bool:
    """Count one heartbeat of this process; ``False`` when its row had to be made (first beat, or taken for dead)."""
    now = clock.now()
    me = process_id()
    done = session.execute(
        update(ServerProcess).where(ServerProcess.id == me).values(beat=ServerProcess.beat + 1, beat_at=now)
    )
    if done.rowcount:  # type: ignore[attr-defined]
        return True
    session.add(ServerProcess(id=me, host=HOST, pid=os.getpid(), started_at=now, beat=1, beat_at=now))
    session.flush()
    return False


def beats(session: Session) -> dict[str, int]:
    """Every registered process and its heartbeat count."""
    return {pid: int(count) for pid, count in session.execute(select(ServerProcess.id, ServerProcess.beat))}


def forget(session: Session, process_ids: Iterable[str]) -> None:
    """Remove stopped processes from the table (their connections are cleared by the candidate engine)."""
    ids = list(process_ids)
    if ids:
        session.execute(delete(ServerProcess).where(ServerProcess.id.in_(ids)))


class Watch:
    """What this process has seen of the others' heartbeats, to tell which ones stopped."""

    def __init__(self, stale_after_s: float = STALE_AFTER_S, monotonic: Callable[[], float] = clock.monotonic) -> None:
        self.stale_after_s = stale_after_s
        self._monotonic = monotonic
        self._seen: dict[str, tuple[int, float]] = {}

    def stopped(self, counts: dict[str, int]) -> list[str]:
        """The processes whose count has not moved for ``stale_after_s`` of this process's time."""
        now = self._monotonic()
        me = process_id()
        dead = []
        for pid, count in counts.items():
            if pid == me:
                continue
            seen = self._seen.get(pid)
            if seen is None or seen[0] != count:
                self._seen[pid] = (count, now)
            elif now - seen[1] >= self.stale_after_s:
                dead.append(pid)
        for gone in set(self._seen) - set(counts):
            del self._seen[gone]
        return sorted(dead)
