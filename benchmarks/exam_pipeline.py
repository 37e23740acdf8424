"""The committee's heavy jobs from the database: a 100,000-paper SKD exam scored, ranked and item-analysed.

Target (issue 14): scored, ranked and analysed (CTT + 2PL) end to end from the database in < 30 s.

The exam is real where it matters: a synthetic 900-item bank imported by ``import_items`` (sealed points), the
``skd`` blueprint, ``create_exam``; the first ``--templates`` candidates get papers from ``issue_papers`` (real
shuffled layouts), every other paper repeats one of those layouts (the package bytes are left empty: no job here
reads them). Answers follow a 2PL for TWK/TIU and a graded pattern for TKP, 2% blank, bulk-loaded (COPY on
PostgreSQL). Then, timed, the committee's own functions:

- score: ``rescore_exam`` from the stored answers with no results yet (every paper scored, a result written, then
  ``announce_skd`` ranks every formation and stores the codes);
- rank: ``announce_skd`` alone;
- analyse: ``committee_report(store_statistics=True)``, the committee's store button (CTT + 2PL per subtest,
  statistics written back to the bank, the report kept sealed); then the page's next view opens the kept report;
- annul: one TIU item annulled (award) and ``rescore_exam`` again, as after an objection.

Baseline from the same run: reading the exam's answer rows alone (the floor any from-the-database job pays).

    .venv/bin/python benchmarks/exam_pipeline.py [--papers 100000] [--database-url URL] [--templates 200]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bank_import import synthetic  # noqa: E402
from benchmarks.scratch import drop_database, fresh_database  # noqa: E402
from candidate.exams import create_exam  # noqa: E402
from candidate.papers import issue_papers  # noqa: E402
from ground import bank_seal, clock, db, keyring  # noqa: E402
from ground.crypto import load_master_key  # noqa: E402
from ground.models import Candidate, Exam, Paper  # noqa: E402
from question_bank.blueprint import load_preset  # noqa: E402
from question_bank.store import import_items  # noqa: E402
from scoring.store.analysis_reports import committee_report, current_report  # noqa: E402
from scoring.store.announcement import announce_skd  # noqa: E402
from scoring.store.rescoring import annul_items, rescore_exam  # noqa: E402

EXAM = "BENCH-SKD"
FORMATIONS = 1000
BENCH_DB = "exam_pipeline_bench"


def quota(i: int) -> int:
    """Candidate ``i``'s formation quota (one per formation: a formation with two is refused)."""
    return 1 + (i % FORMATIONS) % 5


def scratch_url(given: str | None, tmp: Path, name: str = BENCH_DB) -> str:
    """A fresh database: a new PostgreSQL database ``name`` next to the given one, or a SQLite file in ``tmp``."""
    if not given or given.startswith("sqlite"):
        return f"sqlite:///{tmp / 'bench.db'}"
    return fresh_database(given, name)


def bulk(session: Any, table: str, columns: list[str], rows: Any) -> None:
    """Rows into ``table``: COPY on PostgreSQL, executemany on SQLite (setup only, never timed)."""
    raw = session.connection().connection
    if session.get_bind().dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        raw.cursor().executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def seed(url: str, data_dir: Path, papers: int, templates: int) -> dict[str, float]:
    """Bank, exam, candidates, papers and answers; returns how long each part took (for the log only)."""
    took: dict[str, float] = {}
    t0 = time.perf_counter()
    db.upgrade(url)
    master = load_master_key(data_dir)
    rng = np.random.default_rng(2026)
    with db.session_scope(url) as session:
        import_items(session, synthetic(900))
        exam = create_exam(session, EXAM, "SKD benchmark", load_preset("skd"), master, actor="bench")
        exam_id = exam.id
        people = [Candidate(exam_id=exam_id, participant_no=f"T{i:07d}", name=f"Peserta {i}",
                            formation=f"F{i % FORMATIONS:04d}", formation_quota=quota(i), pin_hash="-")
                  for i in range(templates)]
        session.add_all(people)
        session.flush()
        issue_papers(session, exam, master, people, actor="bench")
        rows = session.execute(select(Paper.id, Paper.candidate_id, Paper.layout, Paper.layout_index, Paper.seed)
                               .where(Paper.exam_id == exam_id).order_by(Paper.id)).all()
        layouts = [r.layout for r in rows]
        versions = sorted({int(q["v"]) for lay in layouts for st in lay["subtests"] for q in st["questions"]})
        points = bank_seal.option_points(session, versions)
        now = clock.now()
        session.execute(Paper.__table__.update().where(Paper.exam_id == exam_id).values(
            state="finished", started_at=now - timedelta(minutes=100), deadline=now, finished_at=now,
            finish_reason="submitted"))
    took["bank, exam and template papers"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    with db.session_scope(url) as session:
        cand_rows = ((exam_id, f"P{i:07d}", f"Peserta {i}", f"F{i % FORMATIONS:04d}", quota(i),
                      "general", "-", "{}", 0, False, False) for i in range(templates, papers))
        bulk(session, "candidates", ["exam_id", "participant_no", "name", "formation", "formation_quota",
                                     "entry_path", "pin_hash", "extra", "extra_time_s", "large_text",
                                     "high_contrast"], cand_rows)
        new_ids = list(session.scalars(select(Candidate.id).where(Candidate.exam_id == exam_id,
                                                                   Candidate.participant_no.like("P%"))
                                       .order_by(Candidate.id)))
        texts = [json.dumps(lay, separators=(",", ":")) for lay in layouts]
        started = now - timedelta(minutes=100)
        paper_rows = ((exam_id, cid, int(rows[i % templates].seed), texts[i % templates],
                       rows[i % templates].layout_index, b"", b"", b"", "finished", now, started, now, 0, now,
                       "submitted", False)
                      for i, cid in enumerate(new_ids))
        bulk(session, "papers", ["exam_id", "candidate_id", "seed", "layout", "layout_index", "package_nonce",
                                 "package_ciphertext", "key_wrapped", "state", "issued_at", "started_at", "deadline",
                                 "extra_ms", "finished_at", "finish_reason", "locked"], paper_rows)
    took["candidates and papers"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    a = {v: rng.uniform(0.6, 2.0) for v in versions}
    b = {v: rng.uniform(-2.0, 1.5) for v in versions}
    with db.session_scope(url) as session:
        all_papers = session.execute(select(Paper.id).where(Paper.exam_id == exam_id).order_by(Paper.id)).scalars()
        pids = np.fromiter(all_papers, dtype=np.int64)
        theta = rng.standard_normal(len(pids))
        stamp = now
        for t, lay in enumerate(layouts):
            mine = np.arange(t, len(pids), templates)
            qs = [q for st in lay["subtests"] for q in st["questions"]]
            opts = np.array([q["o"] for q in qs], dtype=np.int64)  # (questions, options) in the order shown
            vids = np.array([int(q["v"]) for q in qs], dtype=np.int64)
            pts = np.array([[points[int(q["v"])][o] for o in q["o"]] for q in qs])
            graded = (pts > 0).sum(axis=1) > 1  # TKP: every option scores 1–5
            th = theta[mine][:, None]
            av = np.array([a[int(v)] for v in vids])[None, :]
            bv = np.array([b[int(v)] for v in vids])[None, :]
            right = rng.random((len(mine), len(qs))) < 1.0 / (1.0 + np.exp(-av * (th - bv)))
            key_pos = pts.argmax(axis=1)[None, :]
            wrong = (key_pos + rng.integers(1, pts.shape[1], (len(mine), len(qs)))) % pts.shape[1]
            pos = np.where(right, key_pos, wrong)
            want = np.clip(np.rint(3.0 + th + rng.normal(0, 1.0, (len(mine), len(qs)))), 1, 5)
            tkp_pos = np.abs(pts[None, :, :] - want[:, :, None]).argmin(axis=2)
            pos = np.where(graded[None, :], tkp_pos, pos)
            chosen = opts[np.arange(len(qs))[None, :], pos]
            blank = rng.random(chosen.shape) < 0.02
            answer_rows = ((int(pids[mine[r]]), int(vids[j]), int(chosen[r, j]), False, j + 1, 0, stamp)
                           for r in range(len(mine)) for j in range(len(qs)) if not blank[r, j])
            bulk(session, "answers", ["paper_id", "item_version_id", "option_id", "flagged", "seq", "flag_seq",
                                      "saved_at"], answer_rows)
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
    took["answers"] = time.perf_counter() - t0
    return took


def timed(label: str, fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    s = time.perf_counter() - t0
    print(f"  {label:<66} {s:7.2f} s", flush=True)
    return s, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--templates", type=int, default=200)
    ap.add_argument("--database-url", default=os.environ.get("EXAM_TEST_DATABASE_URL"))
    ap.add_argument("--skip-analysis", action="store_true", help="time scoring, ranking and the annulment only")
    ap.add_argument("--keep", action="store_true", help="leave the PostgreSQL database for profiling")
    ap.add_argument("--db-name", default=BENCH_DB, help="the scratch PostgreSQL database (two runs at once need two)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="exam-pipeline-") as scratch:
        tmp = tempfile.mkdtemp(prefix="exam-pipeline-keys-") if args.keep else scratch  # the keys open the bank
        if args.keep:
            print(f"keeping the database and its keys in {tmp}")
        url = scratch_url(args.database_url, Path(tmp), args.db_name)
        keyring.register(url, Path(tmp))
        backend = make_url(url).get_backend_name()
        print(f"seeding {args.papers:,} finished SKD papers (110 questions each) on {backend} ...", flush=True)
        for part, s in seed(url, Path(tmp), args.papers, args.templates).items():
            print(f"  seeded {part} in {s:.1f} s", flush=True)
        with db.session_scope(url) as session:
            indexed = session.scalar(select(func.count()).where(Paper.layout_index.is_not(None)))
        print(f"  ({indexed:,} papers with a layout index)", flush=True)

        print("baseline:")

        def read_answers() -> int:
            with db.session_scope(url) as session:
                cur = session.connection().connection.cursor()
                cur.execute("SELECT a.paper_id, a.item_version_id, a.option_id FROM answers a JOIN papers p "
                            "ON p.id = a.paper_id WHERE p.state = 'finished'")
                count = 0
                while batch := cur.fetchmany(200_000):
                    count += len(batch)
                return count

        base, count = timed(f"read the {args.papers:,} papers' answer rows", read_answers)
        print(f"    ({count:,} rows)")

        print("committee jobs, from the database:")

        def score() -> int:
            with db.session_scope(url) as session:
                exam = session.scalar(select(Exam).where(Exam.code == EXAM))
                return rescore_exam(session, exam, "first scoring", actor="bench").checked

        def rank() -> int:
            with db.session_scope(url) as session:
                exam = session.scalar(select(Exam).where(Exam.code == EXAM))
                return len(announce_skd(session, exam))

        def analyse() -> int:
            report = committee_report(url, EXAM, store_statistics=True)
            return sum(len(st["items"]) for st in report["subtests"])

        def view_kept() -> int:
            report = current_report(url, EXAM)
            assert report is not None, "the report just computed was not kept"
            return len(report["subtests"])

        def annul() -> int:
            with db.session_scope(url) as session:
                exam = session.scalar(select(Exam).where(Exam.code == EXAM))
                layout = session.scalar(select(Paper.layout).where(Paper.exam_id == exam.id).limit(1))
                tiu = next(st for st in layout["subtests"] if st["code"] == "TIU")
                annul_items(session, exam, [int(tiu["questions"][0]["v"])], "award", "objection upheld", "bench")
                return len(rescore_exam(session, exam, "objection upheld", actor="bench").changed)

        s_score, checked = timed("score every paper, store results, rank (rescore_exam)", score)
        s_rank, formations = timed("rank alone (announce_skd)", rank)
        s_analyse, items = (0.0, 0) if args.skip_analysis else timed(
            "item analysis: CTT + 2PL, written back, kept (committee_report)", analyse)
        if not args.skip_analysis:
            timed("next view of the analysis page: the kept report", view_kept)
        s_annul, changed = timed("annul one item and rescore (annul_items + rescore_exam)", annul)
        print(f"    ({checked:,} papers scored, {formations:,} formations ranked, {items:,} items analysed, "
              f"{changed:,} results changed by the annulment)")
        total = s_score + s_analyse
        if args.skip_analysis:
            print(f"score + rank: {total:.1f} s = {total / base:.1f}× reading the answers (analysis skipped: no "
                  "verdict on the 30 s target)")
        else:
            print(f"end to end (score + rank + analyse): {total:.1f} s = {total / base:.1f}× reading the answers; "
                  f"target < 30 s: {'MET' if total < 30 else 'MISSED'}")
    if not url.startswith("sqlite") and not args.keep:
        drop_database(args.database_url, args.db_name)


if __name__ == "__main__":
    main()
