"""``exam-engine audit check``: clean after a real exam; each kind of tampering is named and fails the run."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from exam_engine.cli import main as cli
from ground import audit, db
from ground.models import Answer, AuditEvent, Paper
from ground.models import Result as Score
from tests.live import Candidate, LiveServer, questions


@pytest.fixture(scope="module")
def finished_exam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A demo served by a real process: two candidates answer and submit, a third only starts; then stopped."""
    data = tmp_path_factory.mktemp("audit") / "data"
    server = LiveServer(data, None, candidates=3).start()
    try:
        for i in (0, 1, 2):
            cand = Candidate(server, server.token(i))
            start, paper = cand.begin()
            seq = int(start.get("seq") or 0)
            for n, q in enumerate(questions(paper)[: 5 + i]):
                seq += 1
                ack = cand.call("answer", {"question": q["id"], "option": q["options"][n % 4]["id"], "seq": seq})
                assert ack["ok"], ack
            if i < 2:
                assert cand.call("submit")["ok"]
            cand.close()
    finally:
        server.stop()
    url = f"sqlite:///{data / 'exam.sqlite3'}"
    with db.session_scope(url) as s:  # what the ticker would have done a second later
        audit.seal_pending(s)
    db.dispose_all()
    yield data


@pytest.fixture
def copy(finished_exam: Path, tmp_path: Path, english: None) -> Iterator[Path]:
    """A copy of the finished installation, for one test to tamper with."""
    data = tmp_path / "data"
    shutil.copytree(finished_exam, data)
    yield data
    db.dispose_all()


def _url(data: Path) -> str:
    return f"sqlite:///{data / 'exam.sqlite3'}"


def _check(data: Path, *args: str) -> Result:
    db.dispose_all()
    return CliRunner().invoke(cli, ["--data-dir", str(data), "audit", "check", *args])


def _finished(data: Path) -> list[int]:
    with db.session_scope(_url(data)) as s:
        return list(s.scalars(select(Paper.id).where(Paper.state == "finished").order_by(Paper.id)))


def _paper_and_first_answer(s: Session, paper_id: int) -> tuple[Paper, Answer]:
    """The paper and its answer to the first question (by version id): what a tampering test edits."""
    paper = s.get(Paper, paper_id)
    answer = s.scalars(select(Answer).where(Answer.paper_id == paper_id).order_by(Answer.item_version_id)).first()
    assert paper is not None and answer is not None
    return paper, answer


def _only_failure(out: Result, paper_id: int, why: str) -> None:
    assert out.exit_code == 1, out.output
    fails = [line for line in out.output.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 1 and f"(paper {paper_id})" in fails[0] and why in fails[0], out.output


def test_clean_after_a_real_exam(copy: Path) -> None:
    out = _check(copy)
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0] == "Checked 2 finished paper(s) of 1 exam(s)."
    assert lines[1].startswith("Audit chain intact: ") and lines[-1].startswith("OK:")
    assert not [line for line in lines if line.startswith("FAIL")]


def test_only_the_named_exam_and_an_unknown_one_refused(copy: Path) -> None:
    code = json.loads((copy / "demo-credentials.json").read_text())["exam"]
    assert _check(copy, "--exam", code).exit_code == 0
    missing = _check(copy, "--exam", "NO-SUCH")
    assert missing.exit_code == 1 and "No exam with code NO-SUCH" in missing.output


def test_an_edited_answer_is_reported(copy: Path) -> None:
    paper_id = _finished(copy)[0]
    with db.session_scope(_url(copy)) as s:
        paper, answer = _paper_and_first_answer(s, paper_id)
        options = next(q["o"] for sub in paper.layout["subtests"] for q in sub["questions"]
                       if q["v"] == answer.item_version_id)
        answer.option_id = next(o for o in options if o != answer.option_id)
    out = _check(copy)
    _only_failure(out, paper_id, "the receipt's answers digest does not match the stored answers")


def test_a_changed_score_is_reported(copy: Path) -> None:
    paper_id = _finished(copy)[1]
    with db.session_scope(_url(copy)) as s:
        s.execute(update(Score).where(Score.paper_id == paper_id).values(total=Score.total + 5))
    out = _check(copy)
    _only_failure(out, paper_id, "differs from a fresh rescore")


def test_a_broken_receipt_is_reported(copy: Path) -> None:
    paper_id = _finished(copy)[0]
    with db.session_scope(_url(copy)) as s:
        paper = s.get(Paper, paper_id)
        assert paper is not None and paper.receipt
        payload, signature = paper.receipt.split(".")
        paper.receipt = f"{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    out = _check(copy)
    _only_failure(out, paper_id, "receipt invalid: signature does not match")


def test_an_answer_saved_after_the_finish_is_reported(copy: Path) -> None:
    paper_id = _finished(copy)[1]
    with db.session_scope(_url(copy)) as s:
        paper, first = _paper_and_first_answer(s, paper_id)
        assert paper.finished_at is not None
        first.saved_at = paper.finished_at + timedelta(milliseconds=15)
    out = _check(copy)
    _only_failure(out, paper_id, "1 answer(s) saved after the paper finished")


def test_an_altered_audit_row_is_reported(copy: Path) -> None:
    with db.session_scope(_url(copy)) as s:
        row = s.scalars(select(AuditEvent).where(AuditEvent.hash != "").order_by(AuditEvent.id)).all()[2]
        row_id = row.id
        row.actor = "staff:someone-else"
    out = _check(copy)
    assert out.exit_code == 1, out.output
    assert f"FAIL audit chain: row {row_id} was edited" in out.output
    assert not [line for line in out.output.splitlines() if line.startswith("FAIL ") and "(paper" in line]
    assert out.output.splitlines()[-1] == "1 problem(s) found."


def test_a_moved_finish_time_is_reported(copy: Path) -> None:
    paper_id = _finished(copy)[0]
    with db.session_scope(_url(copy)) as s:  # hiding late answers by moving the finish later shows too
        paper = s.get(Paper, paper_id)
        assert paper is not None and paper.finished_at is not None
        paper.finished_at = paper.finished_at + timedelta(minutes=5)
    out = _check(copy)
    _only_failure(out, paper_id, "the receipt names another finished_at")
