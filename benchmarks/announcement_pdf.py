"""The signed SKD announcement of one long formation (a national formation of tens of thousands) as a PDF.

Until session 13 a formation was one reportlab table, and every page break re-measured every row left in it: 10,000
rows took 10 s, 20,000 took 45 s, 50,000 320 s. A formation now goes as one table per page
(``scoring.pdf_pages.PagedTable``: the rows' heights measured up front). Printed: the PDF's time and the process's
peak memory, and the baseline from the same run, the same announcement written as CSV.

    .venv/bin/python benchmarks/announcement_pdf.py [--rows 50000]
"""

from __future__ import annotations

import argparse
import csv
import io
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from ground.tables import read_csv_bytes  # noqa: E402
from scoring.exports import write_skd  # noqa: E402
from scoring.selection import parse_score_sheet, select_entrants  # noqa: E402

FIRST = ["Ahmad", "Siti", "Muhammad", "Dewi", "Putu", "Nyoman", "Rizky", "Fransiskus Xaverius", "Maria Goretti"]
LAST = ["Wijaya", "Siregar", "Nasution", "Simanjuntak", "Hutapea", "Prasetyo Nugroho Adi", "Kusumawardhani"]


def sheet(rows: int) -> bytes:
    """One formation of ``rows`` candidates; every 50th name too long for its column (it wraps)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["participant_no", "name", "formation", "formation_quota", "entry_path", "TWK", "TIU", "TKP"])
    for i in range(rows):
        name = f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]}"
        if i % 50 == 0:
            name += " binti Abdurrahman Al-Habsyi Syarifuddin Kusumanegara Prawiro"
        w.writerow([f"2026{i:08d}", name, "Guru Ahli Pertama", max(1, rows // 10), "", 65 + i % 40, 80 + i % 45,
                    166 + i % 60])
    return buf.getvalue().encode("utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000)
    args = ap.parse_args()
    formations = select_entrants(parse_score_sheet(read_csv_bytes(sheet(args.rows)), "skd-2024"), "skd-2024")
    key = Ed25519PrivateKey.generate()
    print(f"one formation of {args.rows:,} candidates, one table per page:")
    with tempfile.TemporaryDirectory(prefix="announcement-pdf-") as tmp:
        times = {}
        for fmt in ("csv", "pdf"):
            out = Path(tmp) / f"pengumuman.{fmt}"
            t0 = time.perf_counter()
            write_skd(formations, ["TWK", "TIU", "TKP"], fmt, out, key, "Seleksi CPNS", "SKD-BENCH")
            times[fmt] = time.perf_counter() - t0
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"  {fmt.upper():<4} {times[fmt]:7.2f} s  {out.stat().st_size / 1e6:6.1f} MB  "
                  f"(process peak so far {peak:,.0f} MB)")
    print(f"PDF = {times['pdf'] / times['csv']:.1f}× the CSV (baseline, same run)")


if __name__ == "__main__":
    main()
