"""N real python-socketio clients each sit a whole exam against ``exam-engine serve`` on loopback.

Prints answers acknowledged per second and ack latency (median, p99) for exam-engine and, measured in
the same run with the same client code, for a bare python-socketio echo server (the baseline).

    .venv/bin/python benchmarks/exam_load.py [--clients 500] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.live import AsyncCandidate, LiveServer, free_port, wait_until_up  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


PHASES: dict[str, float] = {}


async def sit_exam(url: str, cred: dict, latencies: list[float], start_gate: Gate, answer_gate: Gate) -> int:
    """Login, connect, prefetch, start, decrypt, answer every question (awaiting each ack), submit."""
    device = await AsyncCandidate.sign_in(url, cred, timeout=120)
    sio = device.sio
    await device.prefetch()
    await start_gate.wait()  # everybody presses Start together, as a room does
    st, paper = await device.start()
    await answer_gate.wait()
    n = 0
    seq = int(st["seq"])  # the page continues the paper's sequence from where the server says it stands
    for sub in paper["subtests"]:
        for i, q in enumerate(sub["questions"]):
            t0 = time.perf_counter()
            seq += 1
            ack = await sio.call("answer", {"question": q["id"], "option": q["options"][i % 5]["id"], "seq": seq},
                                 namespace="/exam", timeout=120)
            latencies.append(time.perf_counter() - t0)
            if not (ack.get("ok") and ack.get("applied")):
                raise RuntimeError(ack)
            n += 1  # only applied answers count
    PHASES["answers_done"] = time.perf_counter()
    done = await sio.call("submit", namespace="/exam", timeout=120)
    assert done["ok"], done
    PHASES["submits_done"] = time.perf_counter()
    await device.close()
    return n


async def echo_client(url: str, answers: int, latencies: list[float], start_gate: Gate, answer_gate: Gate) -> int:
    device = await AsyncCandidate.sign_in(url, None, timeout=120)  # the same client, no login
    sio = device.sio
    await start_gate.wait()
    await answer_gate.wait()
    for i in range(answers):
        t0 = time.perf_counter()
        await sio.call("answer", {"question": "1", "option": "2", "seq": i + 1}, namespace="/exam", timeout=120)
        latencies.append(time.perf_counter() - t0)
    await device.close()
    return answers


class Gate:
    """Opens once every client is ready (logged in, connected, paper prefetched): the room presses Start."""

    def __init__(self, count: int) -> None:
        self.count, self.ready, self.event, self.opened_at = count, 0, asyncio.Event(), 0.0

    async def wait(self) -> None:
        self.ready += 1
        if self.ready == self.count:
            self.opened_at = time.perf_counter()
            self.event.set()
        await self.event.wait()


async def run_clients(make, count: int) -> tuple[int, float, list[float]]:
    """Run ``count`` clients; the answering clock runs from when all have started to the last answer's ack."""
    latencies: list[float] = []
    start_gate, answer_gate = Gate(count), Gate(count)
    PHASES.clear()
    counts = await asyncio.gather(*(make(i, latencies, start_gate, answer_gate) for i in range(count)))
    end = PHASES.get("answers_done", time.perf_counter())
    if "submits_done" in PHASES:
        print(f"  {count} clients pressed Start together: all papers started in "
              f"{answer_gate.opened_at - start_gate.opened_at:.2f} s; all submitted (scored, signed) "
              f"{PHASES['submits_done'] - end:.2f} s after the last answer")
    return sum(counts), end - answer_gate.opened_at, latencies


def report(name: str, answers: int, wall: float, lat: list[float]) -> dict[str, float]:
    figures = {"answers": answers, "seconds": wall, "per_s": answers / wall,
               "median_ms": statistics.median(lat) * 1000, "p99_ms": pct(lat, 0.99) * 1000}
    print(f"{name:<12} {answers:>7} answers in {wall:6.1f} s = {figures['per_s']:8.0f} acks/s   "
          f"latency median {figures['median_ms']:6.1f} ms  p99 {figures['p99_ms']:7.1f} ms")
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=500)
    ap.add_argument("--database-url", default=None, help="PostgreSQL URL (default: SQLite in a temp folder)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        print(f"seeding {args.clients} candidates ...", flush=True)
        live = LiveServer(Path(tmp) / "data", args.database_url, candidates=args.clients)
        live.start()
        try:
            creds = [live.candidate(i) for i in range(args.clients)]
            answers, wall, lat = asyncio.run(
                run_clients(lambda i, lat, g1, g2: sit_exam(live.url, creds[i], lat, g1, g2), args.clients))
            import requests

            health = requests.get(live.url + "/api/v1/health", timeout=10).json()
            print(f"  group commit: {health['answers_committed']} writes in {health['answer_batches']} transactions "
                  f"({health['answers_committed'] / max(1, health['answer_batches']):.1f} per commit)")
        finally:
            live.stop()
        engine = report("exam-engine", answers, wall, lat)

    port = free_port()
    echo = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "echo_server.py"), str(port)])
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url + "/", echo)
        per_client = answers // args.clients
        e_answers, e_wall, e_lat = asyncio.run(
            run_clients(lambda i, lat, g1, g2: echo_client(url, per_client, lat, g1, g2), args.clients))
    finally:
        echo.terminate()
    base = report("echo server", e_answers, e_wall, e_lat)
    print(f"ratio        exam-engine/echo throughput {engine['per_s'] / base['per_s']:.2f}   "
          f"median latency x{engine['median_ms'] / base['median_ms']:.1f}   "
          f"p99 x{engine['p99_ms'] / base['p99_ms']:.1f}")
    print("(every exam-engine ack is sent only after the answer is committed durably: SQLite WAL, synchronous=FULL)")


if __name__ == "__main__":
    main()
