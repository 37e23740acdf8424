"""Papers per second for 5,000 SKD candidates (assembly + encryption), against a naive baseline in the same run.

Run: .venv/bin/python benchmarks/assembly.py [--candidates 5000] [--bank 1500]
The goal (issue 3): all 5,000 SKD papers ready in under 5 seconds on a 2-core machine.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ground.crypto import new_key  # noqa: E402
from question_bank.assembly import Assembler, PoolItem, assemble  # noqa: E402
from question_bank.blueprint import load_preset  # noqa: E402
from question_bank.items import VersionContent  # noqa: E402
from question_bank.labels import PaperLabels, PaperMap  # noqa: E402
from question_bank.packages import PaperSealer, new_exam_key, paper_document, seal_paper  # noqa: E402

WORDS = "negara pancasila rakyat daerah undang pemerintah pelayanan masyarakat jumlah bilangan sikap kerja".split()


def synthetic_bank(per_subtest: int) -> tuple[list[PoolItem], dict[int, VersionContent]]:
    """A bank with SKD-sized texts: ~300-character stems and ~60-character options, 5 options each."""
    rnd = random.Random(1)
    pool, contents, vid, oid = [], {}, 1, 1
    for code in ("TWK", "TIU", "TKP"):
        for i in range(per_subtest):
            stem = " ".join(rnd.choice(WORDS) for _ in range(40))
            opts = [(oid + k, " ".join(rnd.choice(WORDS) for _ in range(8)), []) for k in range(5)]
            contents[vid] = VersionContent(stem, [], "single", code, opts)
            pool.append(
                PoolItem(vid, code, f"cat{i % 5}", ("mudah", "sedang", "sulit")[i % 3], tuple(o[0] for o in opts))
            )
            vid += 1
            oid += 5
    return pool, contents


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", type=int, default=5000)
    ap.add_argument("--bank", type=int, default=1500, help="items in the bank (split over TWK, TIU, TKP)")
    ap.add_argument("--baseline-sample", type=int, default=500, help="papers the naive baseline builds")
    args = ap.parse_args()
    bp = load_preset("skd")
    pool, contents = synthetic_bank(args.bank // 3)
    data_key, _ = new_exam_key(new_key(), "BENCH")

    t0 = time.perf_counter()
    asm = Assembler(bp, pool)
    sealer = PaperSealer(contents)
    t_setup = time.perf_counter() - t0
    total_bytes = 0
    t0 = time.perf_counter()
    for n in range(args.candidates):
        layout = asm.paper(1_000_003 * n + 17)
        pmap = PaperMap(PaperLabels(data_key, n), layout)  # per-paper labels, as issue_papers draws them
        _wrapped, _nonce, ct = sealer.seal(data_key, "BENCH", f"{n:010d}", layout, pmap)
        total_bytes += len(ct)
    t_fast = time.perf_counter() - t0

    # baseline: the simple entry points per paper (rebuild the plan, build the dict, json.dumps, seal)
    t0 = time.perf_counter()
    for n in range(args.baseline_sample):
        layout = assemble(bp, pool, 1_000_003 * n + 17)
        pmap = PaperMap(PaperLabels(data_key, n), layout)
        seal_paper(data_key, "BENCH", f"{n:010d}", paper_document(layout, contents, pmap))
    t_base = (time.perf_counter() - t0) / args.baseline_sample * args.candidates

    print(f"bank: {len(pool)} items; blueprint {bp.code}: {bp.total_items} items per paper")
    print(f"setup (plan + pre-encoded texts): {t_setup * 1000:.0f} ms")
    print(
        f"fast path: {args.candidates} papers in {t_fast:.2f} s = {args.candidates / t_fast:,.0f} papers/s "
        f"(avg sealed paper {total_bytes / args.candidates / 1024:.1f} KiB)"
    )
    print(
        f"baseline (assemble() + paper_document() + seal_paper() per paper, {args.baseline_sample} sampled): "
        f"{args.candidates / t_base:,.0f} papers/s, {t_base:.2f} s projected"
    )
    verdict = "met" if t_fast + t_setup < 5 else "MISSED"
    print(f"ratio fast/baseline: {t_base / t_fast:.1f}x; goal 5,000 papers < 5 s: {verdict}")


if __name__ == "__main__":
    main()
