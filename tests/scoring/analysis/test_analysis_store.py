"""``--exam CODE``: papers and answers from the database, statistics written back as each item's history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from analysis_data import DbExam, build_exam
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from ground import db
from ground.models import Answer, Paper
from ground.models.analysis import ItemStatistic
from scoring.analysis.pipeline import analyse
from scoring.analysis.responses import NOT_PRESENTED, OMITTED, AnalysisInputError
from scoring.store.analysis import analyse_exam, item_history, latest_difficulty, load_exam_responses


def run(tmp_path: Path, db_url: str, *args: str) -> Result:
    return CliRunner().invoke(main_group(), ["--data-dir", str(tmp_path / "inst"), "analysis", *args],
                              env={"EXAM_DATABASE_URL": db_url})


def main_group():  # imported lazily so the CLI sees the test's environment
    from exam_engine.cli import main

    return main


def test_matrix_from_papers(db_url: str, db_exam: DbExam) -> None:
    with db.session_scope(db_url) as s:
        data = load_exam_responses(s, db_exam.code)
    rm = data.matrix
    assert rm.n == db_exam.finished  # the five unfinished papers are not evidence
    assert [st.code for st in data.subtests] == ["TIU", "TKP"]
    assert len(data.subtests[0].columns) == 10 and len(data.subtests[1].columns) == 4
    assert rm.presented is not None
    assert (rm.presented[:, data.subtests[0].columns].sum(axis=1) == 8).all()  # 8 of 10 TIU items per paper
    assert (rm.choices[~rm.presented] == NOT_PRESENTED).all()
    assert (rm.choices == OMITTED).any()  # blanks (no answer row) are omissions, not "not presented"
    tiu = rm.select(data.subtests[0].columns)
    assert tiu.dichotomous.all() and not rm.select(data.subtests[1].columns).dichotomous.any()
    assert {it.item_version_id for it in rm.items} == set(db_exam.tiu_versions + db_exam.tkp_versions)
    assert all(it.item_id == db_exam.item_of[it.item_version_id] for it in rm.items)


def test_analysis_flags_the_wrong_key_and_fits_only_right_wrong_items(db_url: str, db_exam: DbExam) -> None:
    with db.session_scope(db_url) as s:
        data = load_exam_responses(s, db_exam.code)
    tiu, tkp = analyse(data.matrix, data.subtests)
    assert tiu.irt is not None and tkp.irt is None
    bad = next(j for j, it in enumerate(tiu.rm.items) if it.item_version_id == db_exam.bad_key_version)
    codes = {f.code for f in tiu.flags[bad]}
    assert {"key_suspect", "negative_discrimination"} <= codes
    assert all("unused_distractor" in {f.code for f in fl} for fl in tiu.flags)  # nobody picks E
    good = [j for j in range(10) if j != bad]
    assert (tiu.classical.corrected_r[good] > 0).all()
    assert tkp.classical.test.kr20 is None and tkp.classical.test.alpha is not None


def test_write_back_keeps_a_history_per_exam(db_url: str, db_exam: DbExam) -> None:
    _data, analyses = analyse_exam(db_url, db_exam.code)
    with db.session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(ItemStatistic)) == 14
        v = db_exam.tiu_versions[0]
        row = s.execute(select(ItemStatistic).where(ItemStatistic.item_version_id == v)).scalar_one()
        j = next(j for j, it in enumerate(analyses[0].rm.items) if it.item_version_id == v)
        assert row.p == pytest.approx(float(analyses[0].classical.p[j]), abs=1e-6)
        assert row.irt_a is not None and row.subtest == "TIU"
        bad = s.execute(select(ItemStatistic).where(ItemStatistic.item_version_id == db_exam.bad_key_version)
                        ).scalar_one()
        assert "key_suspect" in bad.flags and any("key" in m for m in bad.details["messages"])
        tkp_row = s.execute(select(ItemStatistic).where(ItemStatistic.item_version_id == db_exam.tkp_versions[0])
                            ).scalar_one()
        assert tkp_row.irt_a is None and tkp_row.p is not None
        # A second exam drawing from the same bank adds history; re-running one exam replaces its own rows.
        other = build_exam(s, code="SKD-B", n=80, seed=9, bank=db_exam)
    analyse_exam(db_url, db_exam.code)
    analyse_exam(db_url, other.code)
    with db.session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(ItemStatistic)) == 28
        hist = item_history(s, db_exam.item_of[db_exam.tiu_versions[1]])
        assert [h["exam"] for h in hist] == ["SKD-A", "SKD-B"]
        assert all(h["p"] is not None and h["n"] > 0 for h in hist)
        latest = latest_difficulty(s, list(db_exam.item_of.values()))
        assert len(latest) == 14 and all(0 <= p <= 1 for p in latest.values())


def test_unknown_exam_and_empty_exam(db_url: str, db_exam: DbExam, tmp_path: Path) -> None:
    with db.session_scope(db_url) as s, pytest.raises(AnalysisInputError, match="no exam with code NOPE"):
        load_exam_responses(s, "NOPE")
    res = run(tmp_path, db_url, "--exam", "NOPE")
    assert res.exit_code == 2 and "no exam with code NOPE" in res.output
    with db.session_scope(db_url) as s:
        s.execute(Paper.__table__.update().values(state="issued"))
    res = run(tmp_path, db_url, "--exam", db_exam.code)
    assert res.exit_code == 2 and "no finished papers" in res.output
    with db.session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(ItemStatistic)) == 0  # bad input changes nothing


def test_answer_with_a_foreign_option_is_rejected(db_url: str, db_exam: DbExam) -> None:
    with db.session_scope(db_url) as s:
        ans = s.execute(select(Answer).where(Answer.item_version_id == db_exam.tiu_versions[0]).limit(1)
                        ).scalar_one()
        ans.option_id = db_exam.options[db_exam.tiu_versions[1]][0]  # an option of another question
        named = f"answer of paper {ans.paper_id} to item version {ans.item_version_id} names option {ans.option_id},"
    with db.session_scope(db_url) as s, pytest.raises(AnalysisInputError, match="not one of that question") as err:
        load_exam_responses(s, db_exam.code)
    assert str(err.value).startswith(named)  # the offending answer itself, wherever the bulk read put it



def test_answer_to_a_question_the_paper_did_not_show_is_rejected(db_url: str, db_exam: DbExam) -> None:
    """An answer naming a real exam question and one of its options, on a paper that did not hold it, is refused."""
    with db.session_scope(db_url) as s:
        ans = s.execute(select(Answer).where(Answer.item_version_id == db_exam.tiu_versions[0]).limit(1)
                        ).scalar_one()
        layout = s.get(Paper, ans.paper_id).layout
        shown = {int(q["v"]) for st in layout["subtests"] for q in st["questions"]}
        other = next(v for v in db_exam.tiu_versions if v not in shown)  # each paper shows 8 of the 10
        ans.item_version_id, ans.option_id = other, db_exam.options[other][0]
        named = f"answer of paper {ans.paper_id} to item version {other} names option {db_exam.options[other][0]},"
    with db.session_scope(db_url) as s, pytest.raises(AnalysisInputError) as err:
        load_exam_responses(s, db_exam.code)
    assert str(err.value).startswith(named)

def test_cli_exam_formats(db_url: str, db_exam: DbExam, tmp_path: Path) -> None:
    res = run(tmp_path, db_url, "--exam", db_exam.code, "--format", "json", "--no-write-back")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert [st["code"] for st in report["subtests"]] == ["TIU", "TKP"]
    assert report["exam"]["code"] == db_exam.code
    assert report["total"]["items"] == 14 and report["total"]["kr20"] is None and report["total"]["alpha"] > 0
    tiu = report["subtests"][0]
    assert tiu["irt"]["quadrature_points"] == 61 and len(tiu["items"]) == 10
    assert len(tiu["items"][0]["options"]) == 6 and tiu["items"][0]["options"][0]["label"] == "(omitted)"
    with db.session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(ItemStatistic)) == 0
    page = tmp_path / "a.html"
    res = run(tmp_path, db_url, "--exam", db_exam.code, "--format", "html", "--out", str(page))
    assert res.exit_code == 0, res.output
    html = page.read_text()
    assert html.count("<svg") == 1 + 2 * 2 + 14  # whole test; per subtest histogram + scatter; an option curve per item
    assert "key_suspect" in html
    with db.session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(ItemStatistic)) == 14
    ab = tmp_path / "theta.csv"
    res = run(tmp_path, db_url, "--exam", db_exam.code, "--format", "csv", "--abilities", str(ab))
    assert res.stdout.count("\n") == 15 and "TKP," in res.stdout
    rows = ab.read_text().splitlines()
    assert len(rows) == 1 + db_exam.finished and all(",TIU," in r for r in rows[1:])  # TKP has no 2PL
    tiu = report["subtests"][0]["items"]
    assert all(len(it["model_curve"]) == 5 for it in tiu)
    assert report["subtests"][1]["items"][0]["model_curve"] is None
