"""Multiple-response items delivered end to end: a set of options per answer, scored by the item's mapping within its
bounds, in the receipt, in rescoring and in item analysis; items the page cannot show are refused; extra time."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from candidate.exams import create_exam
from candidate.papers import issue_papers
from exam_engine.demo import seed_demo
from ground import db
from ground.config import Config
from ground.crypto import load_master_key
from ground.errors import AppError
from ground.models import Answer, Exam, Item, ItemVersion, Paper, Result
from ground.models import Candidate as CandidateRow
from proctor import board
from question_bank.blueprint import load_blueprint
from scoring.receipts import answers_digest, canonical_answer
from scoring.store.analysis import load_exam_responses
from scoring.store.rescoring import rescore_exam
from tests.candidate.test_live_exam import _documented
from tests.live import Candidate, LiveServer, questions, receipt_claims


def qti_multiple(identifier: str, entries: dict[str, float], bounds: str) -> str:
    """A QTI 2.1 multiple-response item: choices A–D worth ``entries`` (partial, negative credit) within ``bounds``."""
    texts = {"A": "Jakarta", "B": "Surabaya", "C": "Kuala Lumpur", "D": "Singapura"}
    mapped = "".join(f'<mapEntry mapKey="{k}" mappedValue="{v:g}"/>' for k, v in entries.items())
    right = "".join(f"<value>{k}</value>" for k, v in entries.items() if v > 0)
    choices = "".join(f'<simpleChoice identifier="{k}">{t}</simpleChoice>' for k, t in texts.items())
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="{identifier}" title="{identifier}"
    adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="identifier">
    <correctResponse>{right}</correctResponse>
    <mapping {bounds} defaultValue="0">{mapped}</mapping>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <p>Soal {identifier}: pilih semua kota di Indonesia.</p>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="0">{choices}</choiceInteraction>
  </itemBody>
  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response"/>
</assessmentItem>
"""


# Jakarta and Surabaya 3 each, Kuala Lumpur 0, Singapura -2: both right is 6, clamped to 5; Singapura alone is 0
BOUNDED = {"A": 3, "B": 3, "C": 0, "D": -2}


def import_multiple(live: LiveServer, uid: str, entries: dict[str, float], bounds: str) -> None:
    """Import one QTI multiple-response item into the served installation's bank (TIU)."""
    path = live.data_dir / f"{uid}.xml"
    path.write_text(qti_multiple(uid, entries, bounds), encoding="utf-8")
    live._cli("bank", "import", str(path), "--subtest", "TIU")


def shown_multiple(paper: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The paper's multiple-response questions by their item's name (the stem's start)."""
    return {q["text"].split(":")[0].removeprefix("Soal "): q for q in questions(paper) if q.get("multiple")}


def test_a_multiple_response_item_end_to_end(server: LiveServer) -> None:
    live = server
    import_multiple(live, "MR-BOUND", BOUNDED, 'lowerBound="0" upperBound="5"')
    import_multiple(live, "MR-NEG", BOUNDED, 'lowerBound="0"')
    live.show_first(0, ["MR-BOUND", "MR-NEG"])
    cand = Candidate(live, live.token(0))
    start, paper = cand.begin()
    found = shown_multiple(paper)
    assert set(found) == {"MR-BOUND", "MR-NEG"}, "the sealed paper marks exactly the multiple-response questions"
    q, neg = found["MR-BOUND"], found["MR-NEG"]
    jakarta, surabaya, kl, singapura = (o["id"] for o in q["options"])
    assert [o["text"] for o in q["options"]] == ["Jakarta", "Surabaya", "Kuala Lumpur", "Singapura"]
    single = next(x for x in questions(paper) if not x.get("multiple"))
    seq = start["seq"]

    def answer(chosen: list[str], at: int, question: dict[str, Any] = q) -> dict[str, Any]:
        return cand.call("answer", {"question": question["id"], "options": chosen, "seq": at})

    # the shape of the answer follows the question's kind; every refusal changes nothing
    for payload, code in (
        ({"question": q["id"], "option": jakarta, "seq": seq + 1}, "bad_payload"),
        ({"question": q["id"], "options": jakarta, "seq": seq + 1}, "bad_payload"),
        ({"question": q["id"], "options": [jakarta, jakarta], "seq": seq + 1}, "bad_payload"),
        ({"question": q["id"], "options": [jakarta, 3], "seq": seq + 1}, "bad_payload"),
        ({"question": q["id"], "options": [jakarta], "seq": 0}, "bad_payload"),
        ({"question": q["id"], "options": [jakarta, single["options"][0]["id"]], "seq": seq + 1}, "unknown_option"),
        ({"question": single["id"], "options": [single["options"][0]["id"]], "seq": seq + 1}, "bad_payload"),
    ):
        ack = cand.call("answer", payload)
        assert ack["ok"] is False and ack["error"]["code"] == code and ack["error"]["message"], (payload, ack)
    assert "options" in cand.call("answer", {"question": q["id"], "option": jakarta, "seq": 1})["error"]["message"]
    assert cand.call("start")["answers"] == {}

    assert answer([jakarta, singapura], seq + 1) == {"ok": True, "applied": True, "seq": seq + 1,
                                                     "options": [jakarta, singapura]}
    again = answer([singapura, jakarta], seq + 1)  # the same set resent (a replayed queue), in another order
    assert again == {"ok": True, "applied": True, "seq": seq + 1, "options": [jakarta, singapura], "duplicate": True}
    _documented("answer", again)
    stale = answer([kl], seq + 1)
    assert stale == {"ok": True, "applied": False, "reason": "stale", "seq": seq + 1, "options": [jakarta, singapura]}
    _documented("answer", stale)
    assert answer([surabaya, jakarta], seq + 2) == {"ok": True, "applied": True, "seq": seq + 2,
                                                    "options": [jakarta, surabaya]}, "labels in screen order"
    assert answer([singapura], seq + 1)["options"] == [jakarta, surabaya], "an older write: told what is kept"
    neg_singapura = neg["options"][3]["id"]  # each question names its own options
    assert answer([neg_singapura], seq + 3, neg)["applied"] is True
    st = cand.call("start")
    _documented("start", st)
    assert st["answers"] == {q["id"]: [jakarta, surabaya], neg["id"]: [neg_singapura]} and st["seq"] == seq + 3

    # a reload (a new connection with the same token) resumes the sets and the paper's sequence
    cand.close()
    cand = Candidate(live, live.token(0))
    st, _ = cand.begin()
    assert st["answers"] == {q["id"]: [jakarta, surabaya], neg["id"]: [neg_singapura]} and st["seq"] == seq + 3
    assert answer([], st["seq"] + 1) == {"ok": True, "applied": True, "seq": seq + 4, "options": []}
    assert q["id"] not in cand.call("start")["answers"], "an empty set is a blank"
    assert answer([surabaya, jakarta], seq + 5)["applied"] is True
    done = cand.call("submit")
    cand.close()
    assert done["ok"], done
    # 3 + 3 = 6 clamped to the upper bound 5; -2 clamped to the lower bound 0; nothing else answered
    assert done["result"]["subtests"] == {"TWK": 0, "TIU": 5, "TKP": 0}, done["result"]

    with db.session_scope(live.db_url) as s:
        paper_row = s.scalar(select(Paper).where(Paper.candidate_id == live.candidate_id(0)))
        rows = {r.item_version_id: r for r in s.scalars(select(Answer).where(Answer.paper_id == paper_row.id))}
        pmap = live.paper_map(0)
        vid, by_label = pmap.question(q["id"])
        assert (rows[vid].option_id, rows[vid].option_ids) == (None, sorted([by_label[jakarta], by_label[surabaya]]))
        final = {str(v): canonical_answer(r.option_id, r.option_ids) for v, r in rows.items()}
    claims = receipt_claims(done["receipt"])
    assert claims["answers_sha256"] == answers_digest(final), "the receipt signs the stored sets"
    assert claims["answered"] == 2 and claims["total"] == 5

    audit = live._cli("audit", "check", "--exam", claims["exam"])  # fails (exit status) on any disagreement
    assert "FAIL" not in audit, audit
    with db.session_scope(live.db_url) as s:
        exam = s.scalar(select(Exam).where(Exam.code == claims["exam"]))
        report = rescore_exam(s, exam, "checking multiple-response scoring")
        assert report.checked == 1 and report.changed == [], "rescoring from the stored sets gives the same score"
        data = load_exam_responses(s, exam.code)
        column = next(j for j, it in enumerate(data.matrix.items) if it.item_version_id == vid)
        assert data.matrix.items[column].max_points == 5.0
        assert float(data.matrix.scores[0, column]) == 5.0, "item analysis scores the clamped sum"
        assert s.scalar(select(Result.total).where(Result.paper_id == paper_row.id)) == 5


def test_exam_creation_and_issuing_refuse_items_the_page_cannot_show(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path / "data")
    seed_demo(config, candidates=2)
    url = config.sqlalchemy_url
    with db.session_scope(url) as s:
        exam = s.scalar(select(Exam))
        bp = load_blueprint(exam.blueprint)
        version = s.scalar(select(ItemVersion).join(Item).where(Item.subtest == "TIU").order_by(Item.uid))
        uid = s.scalar(select(Item.uid).where(Item.id == version.item_id))
        version.kind = "essay"  # a kind an importer might bring one day: no radio button or checkbox answers it
        s.add(CandidateRow(exam_id=exam.id, participant_no="NEW-0001", name="Baru", pin_hash="x"))
    master = load_master_key(config.data_dir)
    for attempt in (
        lambda s: create_exam(s, "SKD-X", "X", bp, master),
        lambda s: issue_papers(s, s.scalar(select(Exam).where(Exam.code == exam.code)), master),
    ):
        with pytest.raises(AppError) as refused, db.session_scope(url) as s:
            attempt(s)
        assert refused.value.code == "undeliverable" and f"{uid} (essay)" in refused.value.message
        assert refused.value.body()["error"]["details"]["items"] == [f"{uid} (essay)"]
    with db.session_scope(url) as s:
        assert s.scalar(select(Exam).where(Exam.code == "SKD-X")) is None
        assert s.scalar(select(Paper).join(CandidateRow).where(CandidateRow.participant_no == "NEW-0001")) is None


def test_extra_time_is_added_to_the_deadline_at_the_start(sqlite_server: LiveServer) -> None:
    live = sqlite_server
    with db.session_scope(live.db_url) as s:
        s.execute(update(CandidateRow).where(CandidateRow.id == live.candidate_id(1)).values(
            extra_time_s=1800, large_text=True, high_contrast=True))
    login = live.login(1).json()
    assert login["candidate"]["accommodations"] == {"extra_time_s": 1800, "large_text": True, "high_contrast": True}
    assert live.login(2).json()["candidate"]["accommodations"] == {
        "extra_time_s": 0, "large_text": False, "high_contrast": False}
    spans = {}
    for who, token in ((1, login["access_token"]), (2, live.token(2))):
        cand = Candidate(live, token)
        st, _ = cand.begin()
        cand.close()
        with db.session_scope(live.db_url) as s:
            paper = s.scalar(select(Paper).where(Paper.candidate_id == live.candidate_id(who)))
            spans[who] = paper.deadline - paper.started_at
            assert st["deadline"].startswith(paper.deadline.strftime("%Y-%m-%dT%H:%M:%S"))
    assert spans[2] == timedelta(seconds=1800), "the demo's 30 minutes"
    assert spans[1] == spans[2] + timedelta(seconds=1800), "longer by exactly the extra time"
    with db.session_scope(live.db_url) as s:  # the proctor's grid shows them (and no proctor-granted time)
        shown = {r["candidate_id"]: r for r in board.rows(s, room_id=live.room_id())}
    row = shown[live.candidate_id(1)]
    assert row["accommodations"] == {"extra_time_s": 1800, "large_text": True, "high_contrast": True}
    assert row["extra_s"] == 0 and 59 * 60_000 < row["remaining_ms"] <= 60 * 60_000
    assert shown[live.candidate_id(2)]["accommodations"]["extra_time_s"] == 0
