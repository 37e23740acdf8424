"""A whole room (or a site) sits an exam at SKD pace: real python-socketio clients in several processes.

Every candidate arrives at a random moment in the arrival window (login over HTTP, connect to /exam, prefetch
the sealed paper), the room presses Start within the spike window, then each candidate answers one question
every 0.55–1 × ``--pace`` seconds (SKD pace is an answer every 30–55 s: ``--pace 55``), and submits. Each
candidate's PC has its own loopback address (127.1.x.y): with ``--workers`` the load balancer keeps a device on one
worker by its address, and a room all on 127.0.0.1 would all land on one worker.

Each client keeps trying where the page keeps trying (tests/live.AsyncCandidate): a busy or failing login, a dropped
connection (connect again with the same token, start again, send the same again), a call without an ack in 15 s. A
*failure* is a candidate who gave up: a step without an ack for 120 s, or a refusal. Prints login (login + connect +
prefetch), start and answer-ack median / p99 (an ack's time runs from its first send), failures, the retries of
each kind, the server's peak RSS and CPU, and the same clients doing the
same steps against a bare python-socketio echo server in the same run
(the baseline: what the socket stack alone costs on this box). On PostgreSQL it also prints the database's commits,
and with ``--workers`` the messages the workers published through Redis, each per second of the run.

    .venv/bin/python benchmarks/room_scale.py --candidates 1000 --pace 5 --spike 5 [--arrivals 5] [--answers 6]
        [--workers N] [--database-url URL [--db-name NAME]] [--client-procs 4]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.scratch import drop_database, fresh_database  # noqa: E402
from tests.live import AsyncCandidate, LiveServer, free_port, open_paper, wait_until_up  # noqa: E402

TIMEOUT = 120.0


def address(j: int) -> str:
    """Candidate ``j``'s PC: its own loopback address (127.1.x.y), as each PC in a room has its own, so the load
    balancer's hash on the client's address spreads the room over the workers as it would a real one."""
    return f"127.{1 + j // 62_500}.{j // 250 % 250}.{j % 250 + 1}"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# ---- one client ---------------------------------------------------------------------------------------------


async def candidate(url: str, cred: dict[str, str] | None, plan: dict[str, Any], out: dict[str, list],
                    ready: asyncio.Event, go: dict[str, float]) -> None:
    """One candidate's day: arrive, (log in,) connect, prefetch; press Start in the spike; answer at pace; submit."""
    echo = cred is None
    rnd = random.Random(plan["seed"])
    await asyncio.sleep(rnd.uniform(0, plan["arrivals"]))
    device = None
    arrived = False

    def arrive() -> None:
        out["ready"].append(1)
        if len(out["ready"]) == plan["count"]:
            ready.set()

    try:
        t0 = time.perf_counter()
        if echo:  # the same HTTP round trip and connection as a login, against the bare server
            async with AsyncCandidate.http_from(plan["source"]) as http, http.post(url + "/login", json={}) as r:
                await r.read()
        device = await AsyncCandidate.sign_in(url, cred, timeout=TIMEOUT, source=plan["source"])
        pre = await device.persist("prefetch")
        if not pre.get("ok"):
            raise RuntimeError(f"prefetch: {pre}")
        device.package = pre.get("package")
        out["login"].append(time.perf_counter() - t0)
        arrived = True
        arrive()
        while "start_at" not in go:
            await asyncio.sleep(0.05)
        await asyncio.sleep(max(0.0, go["start_at"] - time.time()) + rnd.uniform(0, plan["spike"]))
        t0 = time.perf_counter()
        st = await device.persist("start")
        if not st.get("ok"):
            raise RuntimeError(f"start: {st}")
        out["start"].append(time.perf_counter() - t0)
        if echo:
            labels = [(str(i), str(i % 5)) for i in range(plan["answers"])]
            seq = 0
        else:
            paper = open_paper(device.package, st)
            qs = [q for s in paper["subtests"] for q in s["questions"]]
            labels = [(q["id"], q["options"][i % len(q["options"])]["id"]) for i, q in enumerate(qs)]
            seq = int(st["seq"])
        for question, option in labels[: plan["answers"]]:
            await asyncio.sleep(rnd.uniform(0.55 * plan["pace"], plan["pace"]))
            seq += 1
            t0 = time.perf_counter()
            ack = await device.persist("answer", {"question": question, "option": option, "seq": seq})
            out["ack"].append(time.perf_counter() - t0)
            if not ack.get("ok") or ack.get("applied") is False:
                raise RuntimeError(f"answer: {ack}")
        t0 = time.perf_counter()
        done = await device.persist("submit")
        if not done.get("ok"):
            raise RuntimeError(f"submit: {done}")
        out["submit"].append(time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - every failure is counted and a few are shown
        out["failures"].append(f"{type(exc).__name__}: {str(exc)[:160]}")
        if not arrived:
            arrive()
    finally:
        if device is not None:
            try:
                await device.close()
            except Exception:  # noqa: BLE001
                pass


def client_process(url: str, creds: list[dict[str, str] | None], sources: list[str], plan: dict[str, Any],
                   conn: Any) -> None:
    """One client process: its share of the room (each from its PC's address); tells the parent when all are in,
    waits for the Start time."""

    async def main() -> dict[str, list]:
        out: dict[str, list] = {"login": [], "start": [], "ack": [], "submit": [], "failures": [], "ready": []}
        ready, go = asyncio.Event(), {}
        plan_here = {**plan, "count": len(creds)}
        tasks = [asyncio.create_task(candidate(url, c, {**plan_here, "seed": plan["seed"] + i, "source": source},
                                               out, ready, go))
                 for i, (c, source) in enumerate(zip(creds, sources, strict=True))]
        await ready.wait()
        conn.send("ready")
        loop = asyncio.get_running_loop()
        go["start_at"] = await loop.run_in_executor(None, conn.recv)
        await asyncio.gather(*tasks)
        out.pop("ready")
        out.update({kind: [count] for kind, count in AsyncCandidate.retries().items()})  # summed by the parent
        return out

    conn.send(asyncio.run(main()))


# ---- the server's footprint -----------------------------------------------------------------------------------


class Footprint:
    """Samples the RSS (summed over the process tree) and CPU time of a server every half second."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_rss, self.stop = pid, 0, threading.Event()
        self.cpu0 = self._cpu()
        self.t0 = time.perf_counter()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    todo += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
            except OSError:
                pass
        return pids

    def _cpu(self) -> float:
        total = 0.0
        for pid in self._tree():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except OSError:
                pass
        return total

    def _rss(self) -> int:
        total = 0
        for pid in self._tree():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def _run(self) -> None:
        while not self.stop.wait(0.5):
            self.peak_rss = max(self.peak_rss, self._rss())

    def finish(self) -> tuple[int, float, float]:
        """(peak RSS bytes, CPU seconds, wall seconds)."""
        cpu, wall = self._cpu() - self.cpu0, time.perf_counter() - self.t0
        self.stop.set()
        return self.peak_rss, cpu, wall


# ---- a run ----------------------------------------------------------------------------------------------------


def run_room(url: str, creds: list[dict[str, str] | None], plan: dict[str, Any], procs: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    shares = [creds[i::procs] for i in range(procs)]
    sources = [address(j) for j in range(len(creds))]
    pipes, children = [], []
    for i, share in enumerate(shares):
        parent, child = ctx.Pipe()
        p = ctx.Process(target=client_process, args=(url, share, sources[i::procs],
                                                     {**plan, "seed": plan["seed"] + 100_000 * i}, child))
        p.start()
        pipes.append(parent)
        children.append(p)
    t_arrive = time.perf_counter()
    for parent in pipes:
        assert parent.recv() == "ready"
    arrived = time.perf_counter() - t_arrive
    start_at = time.time() + 1.0
    for parent in pipes:
        parent.send(start_at)
    merged: dict[str, Any] = {k: [] for k in ("login", "start", "ack", "submit", "failures",
                                              *AsyncCandidate.retries())}
    for parent in pipes:
        part = parent.recv()
        for k, v in part.items():
            merged[k] += v
    for p in children:
        p.join()
    merged["arrived_s"] = arrived
    return merged


class Counters:
    """The database's commits and the Socket.IO queue's published messages over a run (what a site's PostgreSQL
    and Redis must carry): ``pg_stat_database.xact_commit`` and Redis's ``PUBLISH`` calls, read before and after."""

    def __init__(self, db_url: str | None, redis_url: str | None) -> None:
        self.db_url, self.redis_url = db_url, redis_url
        self.start = self._read()

    def _read(self) -> tuple[int, int]:
        commits = publishes = 0
        if self.db_url:
            from sqlalchemy import create_engine, text

            engine = create_engine(self.db_url)
            with engine.connect() as conn:
                commits = int(conn.execute(text(
                    "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")).scalar_one())
            engine.dispose()
        if self.redis_url:
            import redis

            stats = redis.Redis.from_url(self.redis_url).info("commandstats")
            publishes = int(stats.get("cmdstat_publish", {}).get("calls", 0))
        return commits, publishes

    def summary(self, wall: float) -> str:
        end = self._read()
        commits, publishes = end[0] - self.start[0], end[1] - self.start[1]
        parts = []
        if self.db_url:
            parts.append(f"PostgreSQL commits {commits:,} ({commits / wall:.0f}/s)")
        if self.redis_url:
            parts.append(f"Redis messages published {publishes:,} ({publishes / wall:.0f}/s)")
        return "  ".join(parts)


def line(name: str, r: dict[str, Any], rss: int, cpu: float, wall: float) -> str:
    def ms(key: str) -> str:
        v = r[key]
        return f"{statistics.median(v) * 1000:7.0f} / {pct(v, 0.99) * 1000:7.0f}" if v else "      - /       -"

    return (f"{name:<12} login {ms('login')} ms  start {ms('start')} ms  ack {ms('ack')} ms  "
            f"submit {ms('submit')} ms  acks {len(r['ack']):>6}  failures {len(r['failures']):>4}  "
            f"retried: busy logins {sum(r['busy']):>5}, proxy logins {sum(r['proxy']):>5}, "
            f"reconnects {sum(r['reconnects']):>5}, resends {sum(r['resends']):>5}  "
            f"all in after {r['arrived_s']:5.1f} s  RSS peak {rss / 2**20:5.0f} MB  CPU {cpu:6.1f} s "
            f"({100 * cpu / wall:3.0f} % of one core over {wall:5.0f} s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", type=int, default=1000)
    ap.add_argument("--pace", type=float, default=5.0, help="seconds between answers, at most (SKD: 55)")
    ap.add_argument("--spike", type=float, default=5.0, help="everybody presses Start within this many seconds")
    ap.add_argument("--arrivals", type=float, default=None, help="arrival window in seconds (default: --spike)")
    ap.add_argument("--answers", type=int, default=6, help="answers per candidate")
    ap.add_argument("--workers", type=int, default=None,
                    help="exam-engine serve --workers N, behind its load balancer (default: one process)")
    ap.add_argument("--database-url", default=None,
                    help="a PostgreSQL server (a scratch database --db-name is made on it; default: SQLite)")
    ap.add_argument("--redis-url", default=os.environ.get("EXAM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
                    help="the Socket.IO message queue between --workers")
    ap.add_argument("--db-name", default="room_scale_bench", help="the scratch PostgreSQL database")
    ap.add_argument("--client-procs", type=int, default=None, help="client processes (default: one per 500)")
    ap.add_argument("--no-echo", action="store_true", help="skip the echo baseline")
    ap.add_argument("--profile", default=None, metavar="FILE",
                    help="sample the server with py-spy (pip install py-spy) into FILE (collapsed stacks)")
    args = ap.parse_args()
    procs = args.client_procs or max(2, min(16, args.candidates // 500))
    plan = {"arrivals": args.spike if args.arrivals is None else args.arrivals, "spike": args.spike,
            "pace": args.pace, "answers": args.answers, "seed": 14}
    load = os.getloadavg()
    print(f"room_scale: {args.candidates} candidates in {procs} client processes, arrivals {plan['arrivals']:g} s, "
          f"start spike {args.spike:g} s, an answer every {0.55 * args.pace:.0f}-{args.pace:g} s x {args.answers}, "
          f"{'PostgreSQL' if args.database_url else 'SQLite'}, workers {args.workers or 1}; "
          f"load average {load[0]:.2f} {load[1]:.2f} on {os.cpu_count()} cores", flush=True)

    db_url = fresh_database(args.database_url, args.db_name) if args.database_url else None
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        live = LiveServer(Path(tmp) / "data", db_url, candidates=args.candidates,
                          EXAM_TIME_PUSH_S="5", EXAM_TESTING_CLOCK="0")  # as deployed
        print(f"  seeded in {time.perf_counter() - t0:.0f} s", flush=True)
        if args.workers:  # several processes behind the load balancer (exam-engine serve --workers N)
            log = live.log.open("ab")
            live.env["EXAM_REDIS_URL"] = args.redis_url
            live.proc = subprocess.Popen(
                [sys.executable, "-m", "exam_engine", "--data-dir", str(live.data_dir), "serve", "--port",
                 str(live.port), "--workers", str(args.workers)],
                env=live.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
            )
            wait_until_up(live.url + "/api/v1/health", live.proc, 120, lambda: live.log.read_text()[-3000:])
        else:
            live.start(timeout=120)
        try:
            fp = Footprint(live.proc.pid)  # type: ignore[union-attr]
            counters = Counters(db_url, args.redis_url if args.workers else None)
            spy = None if not args.profile else subprocess.Popen(
                [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(live.proc.pid),  # type: ignore[union-attr]
                 "--format", "raw", "--rate", "50", "--subprocesses", "--nonblocking", "-o", args.profile],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            engine = run_room(live.url, [live.candidate(i) for i in range(args.candidates)], plan, procs)
            rss, cpu, wall = fp.finish()
            traffic = counters.summary(wall)
            if engine["failures"]:  # the server's own account, before its folder goes
                errors = live.log.read_text(errors="replace").split("Traceback (most recent call last)")
                engine["server_errors"] = sorted({e.strip().splitlines()[-1] for e in errors[1:] if e.strip()})
                engine["server_trace"] = errors[1][-2500:] if len(errors) > 1 else ""
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
        finally:
            live.stop()
            if args.database_url:
                drop_database(args.database_url, args.db_name)
    print(line("exam-engine", engine, rss, cpu, wall), flush=True)
    if traffic:
        print(f"             {traffic}", flush=True)
    for msg in sorted(set(engine["failures"]))[:5]:
        print(f"    failure: {msg} (x{engine['failures'].count(msg)})")
    for msg in engine.get("server_errors", [])[:5]:
        print(f"    server error: {msg}")
    if engine.get("server_trace"):
        print(f"    first server traceback:{engine['server_trace']}")

    if args.no_echo:
        return
    port = free_port()
    echo = subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "echo_server.py"), str(port)])
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url + "/", echo)
        fp = Footprint(echo.pid)
        base = run_room(url, [None] * args.candidates, plan, procs)
        rss, cpu, wall = fp.finish()
    finally:
        echo.terminate()
    print(line("echo server", base, rss, cpu, wall))
    for msg in sorted(set(base["failures"]))[:5]:
        print(f"    failure: {msg} (x{base['failures'].count(msg)})")


if __name__ == "__main__":
    main()
