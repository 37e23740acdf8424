"""End to end on the real demo: bank-assembled papers, the lead's submit path, then announcement, rescoring,
annulment, signed export and receipt checks through ``exam-engine``."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from candidate import sessions
from candidate.closing import close_paper
from exam_engine.cli import main
from exam_engine.demo import DEMO_EXAM, seed_demo
from ground import clock, db
from ground.config import Config
from ground.crypto import load_signing_key
from ground.models import Answer, Exam, Paper, Result

pytestmark = pytest.mark.usefixtures("english")


def test_demo_exam_through_scoring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config(data_dir=tmp_path / "inst")
    seed_demo(config, candidates=6)
    url = config.sqlalchemy_url
    rng = random.Random(4)
    key = load_signing_key(config.data_dir)
    receipts = []
    with db.session_scope(url) as s:
        exam = s.scalar(select(Exam).where(Exam.code == DEMO_EXAM))
        papers = s.scalars(select(Paper).where(Paper.exam_id == exam.id).order_by(Paper.id)).all()
        ids = [p.id for p in papers]
        for p in papers[:5]:  # the sixth candidate stays away
            sessions.start(s, p, exam)
            for sub in p.layout["subtests"]:
                for q in sub["questions"]:
                    if rng.random() < 0.9:
                        s.add(Answer(paper_id=p.id, item_version_id=q["v"], option_id=rng.choice(q["o"]),
                                     saved_at=clock.now()))
    for pid in ids[:5]:
        receipts.append(close_paper(url, pid, "submitted", key).receipt)
    clock.advance(exam.duration_s + 1)  # the session is over: the sixth is absent, no longer an open paper

    def run(*args: str):
        return CliRunner().invoke(main, ["--data-dir", str(config.data_dir), *args], catch_exceptions=False)

    res = run("results", "rescore", "--exam", DEMO_EXAM, "--reason", "reproduce")
    assert "0 of 5 results changed" in res.output, res.output
    data = json.loads(run("results", "show", "--exam", DEMO_EXAM).output)
    rows = [r for f in data["formations"] for r in f["ranking"]]
    assert sorted(r["code"] for r in rows if r["code"] == "TH") == ["TH"] and len(rows) == 6
    for r in rows:
        if r["rank"] is not None:
            assert r["code"] == "P/L"  # quota 2 → 6 slots: every passer goes on

    with db.session_scope(url) as s:
        first = s.scalars(select(Paper).where(Paper.id == ids[0])).one()
        version = first.layout["subtests"][0]["questions"][0]["v"]
        before = {r.candidate_id: r.total for r in s.scalars(select(Result))}
    res = run("results", "annul", "--exam", DEMO_EXAM, "--item-version", str(version), "--mode", "award",
              "--reason", "kunci ganda")
    assert res.exit_code == 0, res.output
    with db.session_scope(url) as s:
        after = {r.candidate_id: r.total for r in s.scalars(select(Result))}
    assert all(after[c] >= before[c] for c in before) and any(after[c] > before[c] for c in before)

    out = tmp_path / "pengumuman.pdf"
    assert run("results", "export", "--exam", DEMO_EXAM, "--format", "pdf", str(out)).exit_code == 0
    assert run("verify", str(out)).output.startswith("VALID")
    for receipt in receipts:
        res = run("verify-receipt", receipt)
        assert res.exit_code == 0 and DEMO_EXAM in res.output
