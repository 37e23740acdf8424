"""Fidelity on constructs real files use: feedback never in the stem, explanations only from general feedback or
a scorer's solution, conditional feedback reported as dropped."""

from pathlib import Path

from question_bank.formats import read_bank

DATA = Path(__file__).resolve().parent / "data" / "fidelity"


def _notices(parsed) -> list[str]:  # noqa: ANN001
    return [f"{w.location}: {w.message}" for w in parsed.warnings if "conditional feedback" in w.message]


def test_qti21_feedback_never_in_the_stem_and_scorer_rubric_is_the_explanation():
    parsed = read_bank(DATA / "qti21_feedback.xml", subtest="TWK")
    assert parsed.problems == []
    (d,) = parsed.items
    assert d.text == "Pilih satu jawaban.\nSiapa proklamator kemerdekaan Indonesia?"
    assert [o.text for o in d.options] == ["Soekarno dan Hatta", "Sutan Syahrir"]
    assert d.explanation == "Soekarno dan Hatta membacakan proklamasi pada 17 Agustus 1945."
    notices = _notices(parsed)
    assert len(notices) == 4  # feedbackInline, two feedbackBlocks, modalFeedback
    assert any("feedbackBlock B" in n and "Bukan, salah!" in n for n in notices)
    assert any("modalFeedback A" in n and "Betul!" in n for n in notices)
    assert all("qti21_feedback.xml" in n and "[FB-21]" in n for n in notices)


def test_qti30_modal_feedback_is_not_an_explanation():
    parsed = read_bank(DATA / "qti30_feedback.xml", subtest="TIU")
    (d,) = parsed.items
    assert d.text == "2 + 2 = ..." and d.explanation is None
    assert len(_notices(parsed)) == 2


def test_moodle_answer_and_combined_feedback_dropped_general_feedback_kept():
    parsed = read_bank(DATA / "moodle_feedback.xml")
    (d,) = parsed.items
    assert d.explanation == "Setiap suku dikali 2." and "Betul" not in d.text
    notices = _notices(parsed)
    assert len(notices) == 2 and all("TIU-FB-1" in n for n in notices)
    assert any("Jawaban Anda benar." in n for n in notices)


def test_gift_answer_feedback_dropped_general_feedback_kept():
    parsed = read_bank(DATA / "feedback.gift")
    (d,) = parsed.items
    assert d.explanation == "Pancasila adalah dasar negara."
    assert [o.text for o in d.options] == ["Pancasila", "UUD 1945"]
    assert len(_notices(parsed)) == 2
