"""Domain events: services publish what happened; faces (the proctor dashboard) subscribe and forward."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], None]
_subscribers: dict[str, list[Handler]] = defaultdict(list)

# The names services publish (payloads always carry exam_id, room_id, candidate_id where they apply).
ANSWER_SAVED = "answer_saved"
CANDIDATE_CONNECTED = "candidate_connected"
CANDIDATE_DISCONNECTED = "candidate_disconnected"
SECOND_DEVICE = "second_device"
STARTED = "started"
SUBMITTED = "submitted"
FOCUS_LOST = "focus_lost"
LOGGED_IN = "logged_in"
LOGIN_LOCKED = "login_locked"  # a candidate's wrong PINs reached the limit (participant_no, ip): the proctor is told
STAFF_SIGNED_OUT = "staff_signed_out"  # staff_id, session_id: that sign-in ended (session_id None: every one)


def subscribe(name: str, handler: Handler) -> None:
    """Call ``handler(name, payload)`` for each event ``name`` (``"*"`` for all)."""
    if handler not in _subscribers[name]:
        _subscribers[name].append(handler)


def publish(name: str, **payload: Any) -> None:
    """Deliver to subscribers; a failing subscriber is logged and never breaks the candidate's request."""
    for handler in (*_subscribers.get(name, ()), *_subscribers.get("*", ())):
        try:
            handler(name, payload)
        except Exception:  # noqa: BLE001 - a dashboard glitch must not lose an answer
            log.exception("event subscriber failed for %s", name)
