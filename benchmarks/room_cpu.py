"""Server CPU per candidate operation: a room of real python-socketio clients goes through login, connect,
prefetch, start, answers and submit one phase at a time, and the server's CPU seconds are read from /proc between
phases (CPU per operation is robust on a shared box, where latencies are not).

Prints, per phase, the server's CPU milliseconds per operation and the phase's wall time; with ``--profile DIR``
each phase is also sampled with py-spy (pip install py-spy) into DIR/<phase>.txt (collapsed stacks; the CPU figures
of a profiled run include py-spy's overhead, so compare them only with other profiled runs).

    .venv/bin/python benchmarks/room_cpu.py --candidates 200 --answers 10 [--concurrency 25] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.room_scale import Footprint  # noqa: E402
from tests.live import AsyncCandidate, LiveServer  # noqa: E402

PHASES = ("login", "connect", "prefetch", "start", "answer", "submit", "disconnect")


async def bounded(jobs: list[Any], limit: int) -> list[Any]:
    """Run the coroutines ``jobs`` with at most ``limit`` in flight; their results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(job: Any) -> Any:
        async with gate:
            return await job

    return await asyncio.gather(*(one(j) for j in jobs))


async def drive(live: LiveServer, n: int, answers: int, limit: int, phase: Any) -> None:
    """Every candidate through each phase in turn; ``phase(name, count, coroutine)`` measures one."""
    url = live.url
    creds = [live.candidate(i) for i in range(n)]
    tokens: list[str] = []

    async with aiohttp.ClientSession() as http:
        async def login(cred: dict[str, str]) -> str:
            return (await AsyncCandidate.login(http, url, cred, 120))["access_token"]

        tokens = await phase("login", n, bounded([login(c) for c in creds], limit))

    async def connect(token: str) -> AsyncCandidate:
        device = AsyncCandidate(url, {"access_token": token}, 120, AsyncCandidate.http_from(None))
        await device.connect(120)
        return device

    devices: list[AsyncCandidate] = await phase("connect", n, bounded([connect(t) for t in tokens], limit))
    await phase("prefetch", n, bounded([d.prefetch() for d in devices], limit))
    started = await phase("start", n, bounded([d.start() for d in devices], limit))
    plans = []
    for (st, paper) in started:
        qs = [q for s in paper["subtests"] for q in s["questions"]]
        plans.append((int(st["seq"]), [(q["id"], q["options"][i % len(q["options"])]["id"]) for i, q in
                                       enumerate(qs[:answers])]))

    async def answer_all(device: AsyncCandidate, seq: int, labels: list[tuple[str, str]]) -> None:
        for question, option in labels:
            seq += 1
            ack = await device.call("answer", {"question": question, "option": option, "seq": seq})
            assert ack.get("ok") and ack.get("applied"), ack

    await phase("answer", n * answers,
                bounded([answer_all(d, s, labels) for d, (s, labels) in zip(devices, plans, strict=True)], limit))

    async def submit(device: AsyncCandidate) -> None:
        done = await device.call("submit")
        assert done.get("ok"), done

    await phase("submit", n, bounded([submit(d) for d in devices], limit))
    await phase("disconnect", n, bounded([d.close() for d in devices], limit))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", type=int, default=200)
    ap.add_argument("--answers", type=int, default=10, help="answers per candidate")
    ap.add_argument("--concurrency", type=int, default=25, help="operations in flight at once")
    ap.add_argument("--database-url", default=None, help="PostgreSQL URL (default: SQLite in a temp folder)")
    ap.add_argument("--profile", default=None, metavar="DIR", help="py-spy each phase into DIR/<phase>.txt")
    args = ap.parse_args()
    load = os.getloadavg()
    print(f"room_cpu: {args.candidates} candidates x {args.answers} answers, {args.concurrency} in flight, "
          f"{'PostgreSQL' if args.database_url else 'SQLite'}; load average {load[0]:.2f} on {os.cpu_count()} cores",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        live = LiveServer(Path(tmp) / "data", args.database_url, candidates=args.candidates,
                          EXAM_TIME_PUSH_S="5", EXAM_TESTING_CLOCK="0")
        live.start(timeout=120)
        assert live.proc is not None
        pid = live.proc.pid
        rows: list[tuple[str, int, float, float]] = []
        try:
            meter = Footprint(pid)
            time.sleep(2.0)  # the server settles (first ticks, imports on first use are not a candidate's cost)
            idle0, t_idle = meter._cpu(), time.perf_counter()
            time.sleep(3.0)
            idle_rate = (meter._cpu() - idle0) / (time.perf_counter() - t_idle)

            async def phase(name: str, count: int, work: Any) -> Any:
                spy = None
                if args.profile:
                    Path(args.profile).mkdir(parents=True, exist_ok=True)
                    spy = subprocess.Popen(
                        [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--format", "raw",
                         "--rate", "200", "--nonblocking", "--gil", "-o", str(Path(args.profile) / f"{name}.txt")],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    await asyncio.sleep(1.0)
                cpu0, t0 = meter._cpu(), time.perf_counter()
                out = await work
                await asyncio.sleep(0.3)  # the server's tail of the phase (acks are sent before the last bookkeeping)
                wall = time.perf_counter() - t0
                cpu = meter._cpu() - cpu0 - idle_rate * wall
                rows.append((name, count, cpu, wall))
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(timeout=60)
                return out

            asyncio.run(drive(live, args.candidates, args.answers, args.concurrency, phase))
            meter.finish()
        finally:
            live.stop()
    print(f"  server idle: {1000 * idle_rate:.1f} ms CPU per second (subtracted below)")
    per_candidate = 0.0
    for name, count, cpu, wall in rows:
        each = 1000 * cpu / count
        per_candidate += cpu / args.candidates
        print(f"  {name:<10} {count:>6} ops  CPU {cpu:6.2f} s  {each:6.2f} ms/op  wall {wall:6.1f} s")
    print(f"  per candidate (all phases, {args.answers} answers): {1000 * per_candidate:.1f} ms CPU")


if __name__ == "__main__":
    main()
