"""Socket.IO namespaces that run their lifecycle handlers only when the server itself calls them."""

from __future__ import annotations

import logging
from typing import Any

from flask_socketio import Namespace
from socketio.packet import Packet

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


class FlatPacket(Packet):
    """Socket.IO's packet, with binary attachments put back without recursion: python-socketio's own recursion
    fails on a payload nested a few hundred levels deep next to a ``bytes`` value (found by the socket fuzz), and the
    connection then takes every later message for a missing attachment (it never answers again)."""

    @classmethod
    def reconstruct_binary(cls, data: Any, attachments: list[bytes]) -> Any:
        """Replace each ``{"_placeholder": true, "num": n}`` with attachment n, level by level."""

        def fill(value: Any) -> Any:
            if isinstance(value, dict) and value.get("_placeholder") and "num" in value:
                num = value["num"]
                return attachments[num] if isinstance(num, int) and 0 <= num < len(attachments) else None
            if isinstance(value, list | dict):
                todo.append(value)
            return value

        todo: list[Any] = []
        root = fill(data)
        while todo:
            node = todo.pop()
            for key in range(len(node)) if isinstance(node, list) else list(node):
                node[key] = fill(node[key])
        return root


class GuardedNamespace(Namespace):
    """A Flask-SocketIO namespace that answers every client event: reserved names, unknown names and extra
    payloads are refused with the ack error shape before any handler runs (a handler never sees them)."""

    def handles(self, event: str) -> bool:
        """Whether a client may send ``event`` here (a handler exists for it)."""
        return callable(getattr(self, f"on_{event}", None))

    def refusal(self, event: str, args: tuple[Any, ...]) -> dict[str, Any] | None:
        """The ack refusing a client's event, or None to dispatch it (``args``: the sid and the payloads)."""
        if event in RESERVED_EVENTS:
            if lifecycle_call(self.socketio.server, event, self.namespace, args):
                return None
            log.warning("refused reserved event %r from a client on %s", event, self.namespace)
            return AppError("reserved_event", _("This event name is reserved and cannot be sent."), 400).ack()
        if not self.handles(event):  # no ack at all would leave the client waiting for its timeout
            return AppError("unknown_event", _("This event name is unknown."), 400).ack()
        if len(args) > 2:  # a handler takes one payload: more would fail it with a TypeError (``internal``)
            return AppError("bad_payload", _("Send one payload with an event."), 400).ack()
        return None

    def trigger_event(self, event: str, *args: Any) -> Any:
        """Refuse what ``refusal`` refuses; dispatch everything else."""
        refused = self.refusal(event, args)
        if refused is not None:
            return refused
        return super().trigger_event(event, *args)


__all__ = ["RESERVED_EVENTS", "FlatPacket", "GuardedNamespace", "lifecycle_call"]
