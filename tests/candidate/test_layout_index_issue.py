"""issue_papers writes a plain paper's layout index (decoding to exactly its layout's versions) and none for a paper
with a multiple-response question."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from candidate.exams import create_exam
from candidate.papers import issue_papers
from exam_engine.demo import seed_demo
from ground import db
from ground.config import Config
from ground.crypto import load_master_key
from ground.layout_index import decode
from ground.models import Candidate, Exam, Option, Paper
from question_bank.blueprint import load_blueprint
from question_bank.items import ItemDraft, OptionDraft
from question_bank.store import import_items


def test_issue_indexes_plain_papers_only(db_url: str, tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path / "data", database_url=db_url)
    seed_demo(config, candidates=3)
    with db.session_scope(db_url) as s:
        papers = s.scalars(select(Paper)).all()
        assert len(papers) == 3
        options = {}
        for vid, oid in s.execute(select(Option.item_version_id, Option.id)):
            options.setdefault(vid, set()).add(oid)
        for p in papers:  # the demo SKD: single answers, options shuffled but all shown
            assert p.layout_index is not None
            assert decode(p.layout_index) == {st["code"]: [q["v"] for q in st["questions"]]
                                              for st in p.layout["subtests"]}
            assert all(set(q["o"]) == options[q["v"]] for st in p.layout["subtests"] for q in st["questions"])

        drafts = [ItemDraft(uid=f"MRX-{i}", subtest="TIU", category="mrx", text=f"Soal {i}: pilih", kind=kind,
                            options=[OptionDraft(f"opsi {j}", float(j == 0 or (kind == "multiple" and j == 1)))
                                     for j in range(4)])
                  for i, kind in enumerate(["multiple", "single", "single"])]
        report = import_items(s, drafts)
        assert not report.refused
        bp = load_blueprint({"code": "mrx", "title": "MRX", "duration_s": 600, "shuffle_options": True,
                             "sections": [{"code": "TIU", "title": "TIU", "count": 3,
                                           "draws": [{"count": 3, "category": "mrx"}]}]})
        master = load_master_key(config.data_dir)
        exam = create_exam(s, "MRX-1", "MRX", bp, master)
        people = [Candidate(exam_id=exam.id, participant_no=f"MRX{i}", name=f"P {i}", pin_hash="x")
                  for i in range(2)]
        s.add_all(people)
        s.flush()
        assert issue_papers(s, exam, master, people) == 2
    with db.session_scope(db_url) as s:
        exam = s.scalar(select(Exam).where(Exam.code == "MRX-1"))
        mrx = s.scalars(select(Paper).where(Paper.exam_id == exam.id)).all()
        assert len(mrx) == 2
        for p in mrx:
            assert any(q.get("m") for st in p.layout["subtests"] for q in st["questions"])
            assert p.layout_index is None
