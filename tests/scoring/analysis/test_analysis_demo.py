"""End to end with the real pieces: the demo exam's assembled papers, answers, ``sessions.finish``, then analysis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sqlalchemy import select

from candidate import sessions
from exam_engine.demo import seed_demo
from ground import bank_seal, db
from ground.config import Config
from ground.models import Answer, Paper
from ground.models.analysis import ItemStatistic
from scoring.store.analysis import exam_report


def test_demo_exam_analysis(db_url: str, tmp_path: Path) -> None:
    creds = seed_demo(Config(data_dir=tmp_path / "data", database_url=db_url), candidates=60)
    rng = np.random.default_rng(7)
    answered = 0
    with db.session_scope(db_url) as s:
        papers = s.scalars(select(Paper).order_by(Paper.id)).all()
        for i, paper in enumerate(papers):
            if i >= 55:  # five candidates never sit: their papers stay issued and out of the analysis
                continue
            ability = rng.normal()
            for st in paper.layout["subtests"]:
                for q in st["questions"]:
                    pts = bank_seal.option_points(s, [q["v"]])[q["v"]]  # the key is sealed at rest
                    best = max(q["o"], key=lambda o: pts[o])
                    if rng.random() < 0.05:
                        continue  # blank
                    pick = best if rng.random() < 1 / (1 + np.exp(-ability)) else int(rng.choice(q["o"]))
                    s.add(Answer(paper_id=paper.id, item_version_id=q["v"], option_id=pick, seq=1,
                                 saved_at=paper.issued_at))
                    answered += 1
            s.flush()
            assert sessions.finish(s, paper, "submitted")
    report = exam_report(db_url, creds["exam"])
    codes = [st["code"] for st in report["subtests"]]
    assert codes == [st["code"] for st in papers[0].layout["subtests"]]
    assert all(st["test"]["n"] == 55 for st in report["subtests"])
    assert report["total"]["n"] == 55
    seen = sum(it["n"] - round(it["omit_rate"] * it["n"]) for st in report["subtests"] for it in st["items"])
    assert seen == answered  # every answer row landed in the matrix, blanks as omissions
    by_code = {st["code"]: st for st in report["subtests"]}
    assert by_code["TKP"]["irt"] is None and by_code["TKP"]["test"]["kr20"] is None
    for code in ("TWK", "TIU"):
        assert by_code[code]["test"]["kr20"] is not None
        assert all(it["dichotomous"] for it in by_code[code]["items"])
    with db.session_scope(db_url) as s:
        rows = s.scalars(select(ItemStatistic)).all()
        assert len(rows) == sum(len(st["items"]) for st in report["subtests"])
        assert {r.subtest for r in rows} == set(codes)
