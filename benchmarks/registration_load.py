"""N applicants register with document uploads against a live ``exam-engine serve`` (issue 17's load benchmark).

Real HTTP clients (requests) in several processes, each with a few threads, walk the portal as a browser does:
register (argon2 hash, sealed person), verify with the code the log sender wrote to the server's log, fill the
profile, choose a formation, upload a PDF diploma and a JPEG photo (sealed, stored by hash), submit. Prints p50/p99
per step, failures, the server's RSS (now and peak), and a baseline measured in the same run with the same clients
and concurrency: a trivial static file (/static/css/portal.css) through the same server.

    .venv/bin/python benchmarks/registration_load.py --applicants 1000 [--processes 4 --threads 6]
        [--database-url postgresql+psycopg://…  (an empty database of its own; default SQLite in a temp folder)]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.live import LiveServer  # noqa: E402

REC = "BENCH-2026"
PASSWORD = "rahasia-pelamar-bench"
STEPS = ("static baseline", "register", "verify", "profile", "formation", "upload pdf", "upload jpeg", "submit")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
CODE = re.compile(r"message to (\S+): Kode pendaftaran CAT Anda (\d{6})")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def nik(i: int) -> str:
    """A structurally valid NIK for applicant ``i``: West Java, born 15 May 1990 (a man), serial by ``i``."""
    return f"3201{1 + i // 9000:02d}150590{1 + i % 9000:04d}"


def files() -> tuple[bytes, bytes]:
    """A ~60 KB PDF diploma and a ~20 KB JPEG photo (real files: the server checks their first bytes)."""
    from PIL import Image
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf, pageCompression=0)
    for line in range(40):
        c.drawString(40, 800 - line * 18, f"IJAZAH SARJANA {line} " + "x" * 80)
    c.showPage()
    c.save()
    pdf = buf.getvalue() + b"%" + os.urandom(30_000).hex().encode()[:50_000]
    img = io.BytesIO()
    Image.effect_noise((240, 320), 60).convert("RGB").save(img, "JPEG", quality=85)
    return pdf, img.getvalue()


class CodeReader:
    """The verification codes the log sender wrote to the server's log, read incrementally (shared per process)."""

    def __init__(self, log: Path) -> None:
        self.log, self.offset, self.codes, self.lock = log, 0, {}, threading.Lock()

    def code(self, masked: str, timeout: float = 60) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if masked in self.codes:
                    return self.codes.pop(masked)  # type: ignore[no-any-return]
                with self.log.open("rb") as fh:
                    fh.seek(self.offset)
                    chunk = fh.read()
                cut = chunk.rfind(b"\n") + 1
                self.offset += cut
                for who, code in CODE.findall(chunk[:cut].decode("utf-8", "replace")):
                    self.codes[who] = code
                if masked in self.codes:
                    return self.codes.pop(masked)  # type: ignore[no-any-return]
            time.sleep(0.02)  # a benchmark polls the log; tests use wait_until
        raise TimeoutError(f"no code for {masked}")


def applicant(i: int, url: str, reader: CodeReader, ids: dict[str, int], pdf: bytes, jpeg: bytes,
              out: dict[str, list[float]], failures: dict[str, int]) -> None:
    """One applicant's whole registration; each timed step is one request (redirects not followed)."""
    import requests

    s = requests.Session()

    def timed(step: str, method: str, path: str, ok: int = 302, **kw: Any) -> requests.Response | None:
        t0 = time.perf_counter()
        try:
            r = s.request(method, url + path, allow_redirects=False, timeout=120, **kw)
        except requests.RequestException as exc:
            failures[step] += 1
            failures[f"{step}: {type(exc).__name__}"] += 1
            return None
        out[step].append(time.perf_counter() - t0)
        if r.status_code != ok:
            failures[step] += 1
            error = re.search(r'id="error">([^<]*)<', r.text) if r.status_code < 500 else None
            failures[f"{step}: {r.status_code} {error.group(1) if error else ''}".strip()] += 1
            return None
        return r

    timed("static baseline", "GET", "/static/css/portal.css", ok=200)
    token = TOKEN.search(s.get(url + "/daftar/register", timeout=60).text).group(1)  # type: ignore[union-attr]
    login = f"p{i}@bench{i}.id"
    form = {"csrf_token": token, "nik": nik(i), "name": f"Pelamar Uji {i}", "birth_date": "1990-05-15",
            "login": login, "password": PASSWORD, "password2": PASSWORD}
    if timed("register", "POST", "/daftar/register", data=form) is None:
        return
    token = TOKEN.search(s.get(url + "/daftar/verify", timeout=60).text).group(1)  # type: ignore[union-attr]
    try:
        code = reader.code(f"p***@bench{i}.id")
    except TimeoutError:
        failures["verify"] += 1
        return
    if timed("verify", "POST", "/daftar/verify", data={"csrf_token": token, "code": code}) is None:
        return
    timed("profile", "POST", "/daftar/account/profile",
          data={"csrf_token": token, "phone": "081234567890", "education": "S1 Informatika", "address": "Jl. Uji 1"})
    timed("formation", "POST", f"/daftar/r/{REC}/formation",
          data={"csrf_token": token, "choice": f"{ids['formation']}:general"})
    timed("upload pdf", "POST", f"/daftar/r/{REC}/documents/{ids['ijazah']}", data={"csrf_token": token},
          files={"file": ("ijazah.pdf", pdf, "application/pdf")})
    timed("upload jpeg", "POST", f"/daftar/r/{REC}/documents/{ids['foto']}", data={"csrf_token": token},
          files={"file": ("foto.jpg", jpeg, "image/jpeg")})
    timed("submit", "POST", f"/daftar/r/{REC}/submit", data={"csrf_token": token, "confirm": "1"})


def worker(args: tuple[list[int], str, str, dict[str, int], int]) -> tuple[dict[str, list[float]], dict[str, int]]:
    """One process: its applicants, ``threads`` at a time."""
    indices, url, log, ids, threads = args
    reader = CodeReader(Path(log))
    pdf, jpeg = files()
    out: dict[str, list[float]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda i: applicant(i, url, reader, ids, pdf, jpeg, out, failures), indices))
    return dict(out), dict(failures)


def rss(pid: int) -> tuple[int, int]:
    """The process's resident memory now and at its peak (MB), from /proc."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024


def setup(live: LiveServer) -> dict[str, int]:
    """The recruitment (open now for a month), one formation, a PDF and a JPEG requirement: through the CLI."""
    from sqlalchemy import select

    from ground import db
    from ground.models.registration import Formation, Requirement

    live._cli("recruitment", "create", REC, "--name", "Seleksi Uji Beban", "--opens", "2000-01-01T00:00+07:00",
              "--closes", "2099-01-01T00:00+07:00")
    live._cli("recruitment", "formation", REC, "AK-01", "--quota", "100", "--path", "general")
    live._cli("recruitment", "document", REC, "ijazah", "--type", "pdf", "--max-kb", "500")
    live._cli("recruitment", "document", REC, "foto", "--type", "jpeg", "--max-kb", "200")
    with db.session_scope(live.db_url) as s:
        ids = {"formation": s.scalar(select(Formation.id))}
        ids |= {code: rid for rid, code in s.execute(select(Requirement.id, Requirement.code))}
    return ids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--applicants", type=int, default=1000)
    ap.add_argument("--processes", type=int, default=4)
    ap.add_argument("--threads", type=int, default=6, help="concurrent applicants per process")
    ap.add_argument("--database-url", default=None, help="PostgreSQL URL (default: SQLite in a temp folder)")
    args = ap.parse_args()
    print(f"load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"({os.cpu_count()} cores)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        live = LiveServer(data, args.database_url, candidates=2, EXAM_LOGIN_ATTEMPTS=str(10**9))
        ids = setup(live)
        live.start()
        try:
            chunks = [list(range(args.applicants))[p::args.processes] for p in range(args.processes)]
            t0 = time.perf_counter()
            with ProcessPoolExecutor(args.processes) as pool:
                results = list(pool.map(worker, [(c, live.url, str(live.log), ids, args.threads) for c in chunks]))
            wall = time.perf_counter() - t0
            assert live.proc is not None
            now_mb, peak_mb = rss(live.proc.pid)
        finally:
            live.stop()
        text = live.log.read_text(errors="replace")
        errors = [line for line in text.splitlines() if " ERROR " in line]
        print(f"server log: {len(errors)} errors" + "".join(f"\n  {line[:200]}" for line in errors[:3]))
        if errors:
            (ROOT / "test-output").mkdir(exist_ok=True)
            (ROOT / "test-output" / "registration_load-server.log").write_text(text)
    merged: dict[str, list[float]] = defaultdict(list)
    failed: dict[str, int] = defaultdict(int)
    for out, failures in results:
        for step, values in out.items():
            merged[step] += values
        for step, n in failures.items():
            failed[step] += n
    concurrency = args.processes * args.threads
    print(f"{args.applicants} applicants, {concurrency} at a time ({args.processes} processes x {args.threads} "
          f"threads), {'PostgreSQL' if args.database_url else 'SQLite'}: {wall:.1f} s wall, "
          f"{args.applicants / wall:.1f} complete registrations/s")
    print(f"{'step':<16}{'requests':>9}{'failed':>8}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}"
          f"{'p50 x base':>12}{'p99 x base':>12}")
    base = merged.get("static baseline") or [1.0]
    base50, base99 = statistics.median(base), pct(base, 0.99)
    for step in STEPS:
        values = merged.get(step, [])
        if values:
            p50, p99 = statistics.median(values), pct(values, 0.99)
            print(f"{step:<16}{len(values):>9}{failed.get(step, 0):>8}{p50 * 1000:>10.1f}"
                  f"{p99 * 1000:>10.1f}{max(values) * 1000:>10.1f}{p50 / base50:>12.1f}{p99 / base99:>12.1f}")
        else:
            print(f"{step:<16}{0:>9}{failed.get(step, 0):>8}")
    for why in sorted(k for k in failed if ":" in k):
        print(f"  failed {why}: {failed[why]}")
    print(f"server RSS: {now_mb} MB at the end, {peak_mb} MB peak")
    print(f"load after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
