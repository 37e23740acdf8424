"""Socket.IO namespaces that run their lifecycle handlers only when the server itself calls them."""

from __future__ import annotations

import logging
from typing import Any

from flask_socketio import Namespace

from ground.errors import AppError
from ground.i18n import _

log = logging.getLogger(__name__)

# names Socket.IO keeps for itself: a client may not send them as events
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)


def lifecycle_call(server: Any, event: str, namespace: str, args: tuple[Any, ...]) -> bool:
    """True when python-socketio itself dispatches ``connect``/``disconnect``, not a client's event of that name.

    The server calls ``connect`` with the connection's own WSGI environ object (a client's payload is decoded
    JSON, never that object) and ``disconnect`` once the client is marked as leaving (a client's events are
    dispatched only while it is fully connected).
    """
    if not args:
        return False
    sid = args[0]
    if event == "connect":
        return len(args) >= 2 and args[1] is not None and args[1] is server.get_environ(sid, namespace=namespace)
    if event == "disconnect":
        return not server.manager.is_connected(sid, namespace)
    return False


class GuardedNamespace(Namespace):
    """A Flask-SocketIO namespace that refuses reserved event names sent by a client (they would run our handlers)."""

    def trigger_event(self, event: str, *args: Any) -> Any:
        """Refuse a client's ``connect``/``disconnect``/… with the ack error shape; dispatch everything else."""
        if event in RESERVED_EVENTS and not lifecycle_call(self.socketio.server, event, self.namespace, args):
            log.warning("refused reserved event %r from a client on %s", event, self.namespace)
            return AppError("reserved_event", _("This event name is reserved and cannot be sent."), 400).ack()
        return super().trigger_event(event, *args)


__all__ = ["RESERVED_EVENTS", "GuardedNamespace", "lifecycle_call"]
