"""End to end: a QTI item whose mapping has lowerBound 0 never scores below 0 on a served paper."""

from __future__ import annotations

from tests.live import Candidate, LiveServer, questions


def qti_item(identifier: str, bounds: str) -> str:
    """A single-choice QTI 2.1 item whose wrong answer costs points (a mapping with a negative value)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="{identifier}" title="{identifier}"
    adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <correctResponse><value>A</value></correctResponse>
    <mapping {bounds} defaultValue="0">
      <mapEntry mapKey="A" mappedValue="5"/><mapEntry mapKey="B" mappedValue="-2.5"/>
      <mapEntry mapKey="C" mappedValue="0"/>
    </mapping>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <p>Soal {identifier}: 2 + 2 = ...</p>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="1">
      <simpleChoice identifier="A">4</simpleChoice><simpleChoice identifier="B">5</simpleChoice>
      <simpleChoice identifier="C">6</simpleChoice>
    </choiceInteraction>
  </itemBody>
  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response"/>
</assessmentItem>
"""


def test_a_negative_option_under_lower_bound_0_scores_0(sqlite_server: LiveServer) -> None:
    live = sqlite_server
    for uid, bounds in (("TIU-NEG-BOUND", 'lowerBound="0"'), ("TIU-NEG-FREE", "")):
        path = live.data_dir / f"{uid}.xml"
        path.write_text(qti_item(uid, bounds), encoding="utf-8")
        live._cli("bank", "import", str(path), "--subtest", "TIU")
    live.show_first(0, ["TIU-NEG-BOUND", "TIU-NEG-FREE"])
    cand = Candidate(live, live.token(0))
    try:
        _start, paper = cand.begin()
        shown = {q["text"].split(":")[0]: q for q in questions(paper) if q["text"].startswith("Soal TIU-NEG")}
        assert set(shown) == {"Soal TIU-NEG-BOUND", "Soal TIU-NEG-FREE"}
        for seq, q in enumerate(shown.values(), start=1):
            wrong = next(o for o in q["options"] if o["text"] == "5")  # -2.5 points
            ack = cand.call("answer", {"question": q["id"], "option": wrong["id"], "seq": seq})
            assert ack["ok"] and ack["applied"], ack
        done = cand.call("submit")
    finally:
        cand.close()
    assert done["ok"], done
    # the bounded item scores 0 (not -2.5); the one without bounds keeps its -2.5; nothing else was answered
    assert done["result"]["subtests"]["TIU"] == -2.5
    assert done["result"]["subtests"]["TWK"] == 0
