"""A live room's answer acks while the committee runs a whole exam's item analysis on the same server.

On exam day the committee's heavy jobs run on the server that holds the rooms. This measures what one costs the
candidates: one serving process (PostgreSQL with ``--database-url``, else SQLite), a room of ``--room`` real
python-socketio clients answering every ``--pace`` seconds, and the committee pressing "store the statistics" on the
item-analysis page of a ``--papers`` exam (seeded as ``benchmarks/exam_pipeline.py`` seeds it). Twice, each with a
fresh room: the job in a thread of the serving process (``EXAM_JOBS_APART=0``, as it ran before ``ground/jobs.py``),
then in a process of its own (the default). Each run prints the acks sent while the job ran against those sent
before and after it (the baseline of the same run), and the job's own time.

    .venv/bin/python benchmarks/jobs_during_exam.py [--papers 30000] [--room 200] [--pace 2] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.exam_pipeline import EXAM, seed  # noqa: E402
from benchmarks.room_scale import pct  # noqa: E402
from benchmarks.scratch import drop_database, fresh_database  # noqa: E402
from tests.live import AsyncCandidate, LiveServer, open_paper  # noqa: E402
from tests.proctor.clients import staff_creds  # noqa: E402

BENCH_DB = "jobs_during_exam_bench"
QUIET_S = 8.0  # answering before the job starts and after it ends: the baseline


async def room(live: LiveServer, first: int, size: int, pace: float) -> dict[str, Any]:
    """``size`` candidates from ``first`` log in, start and answer at ``pace`` while the committee runs the job."""
    acks: list[tuple[float, float]] = []  # (sent at, seconds to the ack)
    failures: list[str] = []
    stop = asyncio.Event()
    job: dict[str, float] = {}

    async def candidate(i: int) -> None:
        rnd = random.Random(i)
        device = await AsyncCandidate.sign_in(live.url, live.candidate(i), timeout=120)
        try:
            pre = await device.persist("prefetch")
            device.package = pre["package"]
            st = await device.persist("start")
            qs = [q for s in open_paper(device.package, st)["subtests"] for q in s["questions"]]
            seq = int(st["seq"])
            ready.append(i)
            n = 0
            while not stop.is_set():
                await asyncio.sleep(rnd.uniform(0.5 * pace, pace))
                q = qs[n % len(qs)]
                seq, n = seq + 1, n + 1
                sent = time.monotonic()
                ack = await device.persist("answer", {"question": q["id"], "option": q["options"][n % 5]["id"],
                                                      "seq": seq})
                acks.append((sent, time.monotonic() - sent))
                if not ack.get("ok"):
                    failures.append(str(ack)[:160])
        except Exception as exc:  # noqa: BLE001 - counted and shown
            failures.append(f"{type(exc).__name__}: {str(exc)[:160]}")
        finally:
            await device.close()

    async def committee() -> None:
        username, password = staff_creds(live, "committee")
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.post(live.url + "/api/v1/staff/session",
                                 json={"username": username, "password": password}) as r:
                csrf = (await r.json())["csrf_token"]
            while len(ready) < size:
                await asyncio.sleep(0.1)
            await asyncio.sleep(QUIET_S)
            job["start"] = time.monotonic()
            async with http.post(f"{live.url}/committee/analysis/{EXAM}", data={"csrf_token": csrf},
                                 allow_redirects=False, timeout=aiohttp.ClientTimeout(total=900)) as r:
                job["status"] = r.status
            job["end"] = time.monotonic()
            await asyncio.sleep(QUIET_S)
            stop.set()

    ready: list[int] = []
    await asyncio.gather(committee(), *(candidate(i) for i in range(first, first + size)))
    during = [s for at, s in acks if job["start"] <= at <= job["end"]]
    outside = [s for at, s in acks if not job["start"] <= at <= job["end"]]
    return {"job_s": job["end"] - job["start"], "status": job["status"], "during": during, "outside": outside,
            "failures": failures}


def line(label: str, xs: list[float]) -> str:
    return (f"    {label:<34} {len(xs):6,} acks  p50 {pct(xs, 0.5) * 1000:8.0f} ms  p99 {pct(xs, 0.99) * 1000:8.0f} ms"
            f"  max {max(xs, default=float('nan')) * 1000:8.0f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--papers", type=int, default=30_000)
    ap.add_argument("--room", type=int, default=100)
    ap.add_argument("--pace", type=float, default=2.0, help="seconds between a candidate's answers, at most")
    ap.add_argument("--database-url", default=os.environ.get("EXAM_TEST_DATABASE_URL"))
    args = ap.parse_args()
    pg = bool(args.database_url) and not args.database_url.startswith("sqlite")
    try:
        with tempfile.TemporaryDirectory(prefix="jobs-during-exam-") as tmp:
            data = Path(tmp) / "data"
            # the demo room, on a scratch PostgreSQL database, else on SQLite in the data folder
            first = LiveServer(data, fresh_database(args.database_url, BENCH_DB) if pg else None,
                               candidates=2 * args.room)
            url = first.db_url
            print(f"seeding a finished {args.papers:,}-paper SKD exam to analyse on "
                  f"{'PostgreSQL' if pg else 'SQLite'} ...", flush=True)
            took = seed(url, data, args.papers, 200)
            print(f"  seeded in {sum(took.values()):.0f} s", flush=True)
            print(f"a room of {args.room} answering every {0.5 * args.pace:g}-{args.pace:g} s; the committee stores "
                  f"the item analysis of {EXAM} ({args.papers:,} papers) after {QUIET_S:g} s:")
            for n, (label, apart) in enumerate((("in a thread of the server", "0"), ("in its own process", "1"))):
                live = first if n == 0 else LiveServer(data, url, seed=False)
                live.env["EXAM_JOBS_APART"] = apart
                live.start(timeout=60)
                try:
                    out = asyncio.run(room(live, n * args.room, args.room, args.pace))
                finally:
                    live.stop()
                print(f"  the job {label} (EXAM_JOBS_APART={apart}): {out['job_s']:.1f} s, HTTP {out['status']}")
                print(line("acks while the job ran", out["during"]))
                print(line("acks before and after (baseline)", out["outside"]))
                if out["failures"]:
                    print(f"    failures: {len(out['failures'])}, e.g. {out['failures'][:3]}")
    finally:
        if pg:
            drop_database(args.database_url, BENCH_DB)


if __name__ == "__main__":
    main()
