"""The baseline: a bare python-socketio server under gevent that acks every event with no work at all."""

from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402

import socketio  # noqa: E402
from gevent import pywsgi  # noqa: E402

sio = socketio.Server(async_mode="gevent")


@sio.on("answer", namespace="/exam")
def answer(sid, data):  # type: ignore[no-untyped-def]
    return {"ok": True, "seq": data.get("seq")}


@sio.on("*", namespace="/exam")
def anything(event, sid, data=None):  # type: ignore[no-untyped-def]
    """prefetch, start, submit (benchmarks/room_scale.py): the same round trip, nothing done."""
    return {"ok": True}


@sio.on("connect", namespace="/exam")
def connect(sid, environ, auth=None):  # type: ignore[no-untyped-def]
    return True


def main() -> None:
    port = int(sys.argv[1])
    app = socketio.WSGIApp(sio, lambda env, start: (start("200 OK", [("Content-Type", "text/plain")]), [b"ok"])[1])
    pywsgi.WSGIServer(("127.0.0.1", port), app, log=None).serve_forever()


if __name__ == "__main__":
    main()
