"""One room of N candidate clients answering, one proctor watching: how long from an answer to the dashboard update.

Prints the delay from sending an answer to the proctor's grid showing it (median, p99), and the same for a bare
python-socketio server that forwards each answer to the watcher at once with no work at all (the baseline,
measured in the same run with the same clients), with the ratio.

    .venv/bin/python benchmarks/proctor_fanout.py [--clients 500] [--think-ms 0] [--database-url URL]

``--think-ms 0`` answers flat out (about 1,000 answers/s: a stress test, where the one client process holding
all 501 connections is itself the bottleneck); ``--think-ms 2000`` is still ten times a real room's pace.
"""

from __future__ import annotations

import sys

if sys.argv[1:2] == ["--baseline-server"]:  # the baseline server process: gevent, nothing but forwarding
    from gevent import monkey

    monkey.patch_all()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def baseline_server(port: int) -> None:
    """Acks ``answer`` and emits a one-row ``candidates`` push to the watchers: the transport's floor."""
    import socketio
    from gevent import pywsgi

    sio = socketio.Server(async_mode="gevent")
    answered: dict[str, int] = {}

    @sio.on("connect", namespace="/exam")
    def connect(sid, environ, auth=None):  # type: ignore[no-untyped-def]
        return True

    @sio.on("answer", namespace="/exam")
    def answer(sid, data):  # type: ignore[no-untyped-def]
        answered[data["who"]] = answered.get(data["who"], 0) + 1
        row = {"participant_no": data["who"], "answered": answered[data["who"]]}
        sio.emit("candidates", {"room_id": 1, "rows": [row]}, to="watchers", namespace="/proctor")
        return {"ok": True, "seq": data.get("seq")}

    @sio.on("connect", namespace="/proctor")
    def watch(sid, environ, auth=None):  # type: ignore[no-untyped-def]
        sio.enter_room(sid, "watchers", namespace="/proctor")

    app = socketio.WSGIApp(sio, lambda env, start: (start("200 OK", [("Content-Type", "text/plain")]), [b"ok"])[1])
    pywsgi.WSGIServer(("127.0.0.1", port), app, log=None).serve_forever()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Watch:
    """The proctor's side: when did the grid first show participant P with at least k answers?"""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, int], float] = {}
        self.best: dict[str, int] = {}
        self.pushes = 0

    def on_rows(self, data: dict) -> None:
        now = time.perf_counter()
        self.pushes += 1
        for row in data["rows"]:
            who, n = row["participant_no"], row["answered"]
            for k in range(self.best.get(who, 0) + 1, n + 1):
                self.seen[(who, k)] = now
            self.best[who] = max(self.best.get(who, 0), n)


class Gate:
    """Opens once every candidate is connected and started: then all answer together."""

    def __init__(self, count: int) -> None:
        self.count, self.ready, self.event = count, 0, asyncio.Event()

    async def wait(self) -> None:
        self.ready += 1
        if self.ready == self.count:
            self.event.set()
        await self.event.wait()


async def candidate(url: str, who: str, cred: dict | None, count: int, sent: dict, gate: Gate,
                    think_s: float) -> None:
    """Log in, connect, prefetch, start, decrypt (untimed); then answer ``count`` questions as fast as acked."""
    from tests.live import AsyncCandidate, questions

    device = await AsyncCandidate.sign_in(url, cred, timeout=300)  # the baseline server: no login (cred None)
    sio = device.sio
    qs: list[tuple[str, str]] = []
    if cred is not None:
        await device.prefetch()
        _st, paper = await device.start()
        qs = [(q["id"], q["options"][j % len(q["options"])]["id"]) for j, q in enumerate(questions(paper))]
    await gate.wait()
    for i in range(count):
        data = {"question": qs[i][0], "option": qs[i][1], "seq": i + 1} if qs else {"who": who, "seq": i + 1}
        t0 = time.perf_counter()
        ack = await sio.call("answer", data, namespace="/exam", timeout=300)
        if not ack.get("ok") or (qs and not ack.get("applied")):
            raise RuntimeError(ack)
        sent[(who, i + 1)] = t0
        if think_s:
            await asyncio.sleep(think_s)
    await device.close()


async def run(url: str, people: list[tuple[str, dict | None]], count: int, cookie: str | None,
              think_s: float) -> tuple[list[float], float, int]:
    import socketio

    watch = Watch()
    proctor = socketio.AsyncClient(reconnection=False)
    proctor.on("candidates", watch.on_rows, namespace="/proctor")
    await proctor.connect(url, namespaces=["/proctor"], headers={"Cookie": cookie} if cookie else {},
                          transports=["websocket"], wait_timeout=60)
    if cookie:
        joined = await proctor.call("join", {"room": 1}, namespace="/proctor", timeout=120)
        assert joined["ok"], joined
    sent: dict[tuple[str, int], float] = {}
    gate = Gate(len(people))
    tasks = [asyncio.create_task(candidate(url, who, cred, count, sent, gate, think_s)) for who, cred in people]
    await gate.event.wait()
    t_start = time.perf_counter()
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - t_start
    deadline = time.perf_counter() + 10
    while len(watch.seen) < len(sent) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    await proctor.disconnect()
    delays = [watch.seen[k] - t0 for k, t0 in sent.items() if k in watch.seen]
    missing = len(sent) - len(delays)
    return delays, wall, missing


def report(name: str, delays: list[float], wall: float, missing: int, answers: int) -> dict[str, float]:
    med, p99 = statistics.median(delays) * 1000, pct(delays, 0.99) * 1000
    print(f"{name:<12} {answers:>6} answers in {wall:6.1f} s ({answers / wall:6.0f}/s)   answer -> dashboard: "
          f"median {med:7.1f} ms  p99 {p99:7.1f} ms  max {max(delays) * 1000:7.1f} ms  (never seen: {missing})")
    return {"median": med, "p99": p99}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=500)
    ap.add_argument("--answers", type=int, default=30, help="answers per candidate (the demo paper has 30)")
    ap.add_argument("--think-ms", type=float, default=0.0, help="pause after each ack (0: answer flat out)")
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    import requests

    from tests.live import LiveServer, free_port, wait_until_up

    with tempfile.TemporaryDirectory() as tmp:
        print(f"seeding {args.clients} candidates ...", flush=True)
        live = LiveServer(Path(tmp) / "data", args.database_url, candidates=args.clients).start()
        try:
            people = [(live.creds["candidates"][i]["participant_no"], live.candidate(i)) for i in range(args.clients)]
            user, pw = next((s["username"], s["password"]) for s in live.creds["staff"] if s["role"] == "proctor")
            http = requests.Session()
            assert http.post(live.url + "/api/v1/staff/session", json={"username": user, "password": pw}).ok
            cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
            delays, wall, missing = asyncio.run(run(live.url, people, args.answers, cookie, args.think_ms / 1000))
        finally:
            live.stop()
    engine = report("exam-engine", delays, wall, missing, args.clients * args.answers)

    port = free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--baseline-server", str(port)])
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url + "/", proc)
        people = [(f"P{i:06d}", None) for i in range(args.clients)]
        b_delays, b_wall, b_missing = asyncio.run(run(url, people, args.answers, None, args.think_ms / 1000))
    finally:
        proc.terminate()
    base = report("bare forward", b_delays, b_wall, b_missing, args.clients * args.answers)
    print(f"ratio        exam-engine/bare forward: median x{engine['median'] / base['median']:.1f}   "
          f"p99 x{engine['p99'] / base['p99']:.1f}")
    print("(exam-engine: each answer is committed durably, then the dashboard pump reads the changed grid rows (for "
          "answers alone at most every 0.5 s) in a few batched queries; the bare server forwards each answer at once "
          "and stores nothing)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--baseline-server"]:
        baseline_server(int(sys.argv[2]))
    else:
        main()
