"""Items per second for importing a 10,000-item bank (read + check + store), against a naive baseline.

Run: .venv/bin/python benchmarks/bank_import.py [--items 10000] [--format json|csv|gift] [--database-url URL]
The baseline stores a sample of the same items one transaction per item (what a simple loop would do).
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ground import db  # noqa: E402
from question_bank.formats import read_bank  # noqa: E402
from question_bank.formats.json_format import write_json  # noqa: E402
from question_bank.formats.tabular import write_csv  # noqa: E402
from question_bank.items import ItemDraft, OptionDraft  # noqa: E402
from question_bank.store import import_items  # noqa: E402

WORDS = "negara pancasila rakyat daerah undang pemerintah pelayanan masyarakat jumlah bilangan sikap kerja".split()


def synthetic(n: int) -> list[ItemDraft]:
    """SKD-like items: ~300-character stems, 5 options; TKP weighted 1–5, TWK/TIU one correct option."""
    rnd = random.Random(7)
    out = []
    for i in range(n):
        sub = ("TWK", "TIU", "TKP")[i % 3]
        stem = f"({i}) " + " ".join(rnd.choice(WORDS) for _ in range(40))
        texts = [f"{k} " + " ".join(rnd.choice(WORDS) for _ in range(8)) for k in "ABCDE"]
        if sub == "TKP":
            w = rnd.sample([1, 2, 3, 4, 5], 5)
            opts = [OptionDraft(t, float(p)) for t, p in zip(texts, w, strict=True)]
        else:
            key = rnd.randrange(5)
            opts = [OptionDraft(t, 5.0 if k == key else 0.0) for k, t in enumerate(texts)]
        out.append(ItemDraft(f"B-{i:05d}", sub, stem, opts, category=f"cat{i % 7}", difficulty="sedang", tags=["b"]))
    return out


def fresh_url(tmp: Path, given: str | None) -> str:
    if given:
        return given
    url = f"sqlite:///{tmp / f'bench-{time.monotonic_ns()}.sqlite3'}"
    db.upgrade(url)
    return url


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--format", choices=["json", "csv"], default="json")
    ap.add_argument("--baseline-sample", type=int, default=300)
    ap.add_argument("--database-url", default=None, help="An EMPTY migrated database (default: a temporary SQLite).")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        drafts = synthetic(args.items)
        path = tmp / f"bank.{args.format}"
        (write_json if args.format == "json" else write_csv)(drafts, path)
        size = path.stat().st_size

        t0 = time.perf_counter()
        parsed = read_bank(path)
        t_read = time.perf_counter() - t0
        assert not parsed.problems and len(parsed.items) == args.items, parsed.problems[:3]

        url = fresh_url(tmp, args.database_url)
        t0 = time.perf_counter()
        with db.session_scope(url) as s:
            report = import_items(s, parsed.items)
        t_store = time.perf_counter() - t0
        assert report.imported == args.items

        t0 = time.perf_counter()
        with db.session_scope(url) as s:
            again = import_items(s, read_bank(path).items)
        t_again = time.perf_counter() - t0
        assert again.duplicates == args.items

        # the baseline runs on the same database: fresh copies of a sample, one transaction per item
        sample = [copy.deepcopy(d) for d in parsed.items[: args.baseline_sample]]
        for d in sample:
            d.uid, d.text = "BASE-" + d.uid, "(baseline) " + d.text
        t0 = time.perf_counter()
        for d in sample:
            with db.session_scope(url) as s:
                import_items(s, [d])
        t_base = (time.perf_counter() - t0) / len(sample)
        db.dispose_all()

    total = t_read + t_store
    print(f"bank: {args.items} items, {args.format} file of {size / 1e6:.1f} MB; database {url.split(':', 1)[0]}")
    print(f"read + check: {t_read:.2f} s = {args.items / t_read:,.0f} items/s")
    print(f"store (one transaction): {t_store:.2f} s = {args.items / t_store:,.0f} items/s")
    print(f"import total: {total:.2f} s = {args.items / total:,.0f} items/s")
    print(f"re-import (all duplicates, read included): {t_again:.2f} s = {args.items / t_again:,.0f} items/s")
    print(f"baseline (one transaction per item, {len(sample)} sampled): {1 / t_base:,.0f} items/s")
    print(f"ratio import/baseline: {(args.items / total) * t_base:.1f}x")


if __name__ == "__main__":
    main()
