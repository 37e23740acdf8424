"""Our QTI 2.1 export read by an independent implementation (citolab-qti-convert): upgraded to QTI 3.0 and
downgraded back to 2.1 by it, each package imports to the same items (scores, bounds, solution, tables, MathML)."""

import importlib.util
from pathlib import Path

from question_bank.formats import qti, read_bank
from tests.conftest import need

DATA = Path(__file__).resolve().parent / "data" / "fidelity"
SAMPLE = Path(__file__).resolve().parents[2] / "question_bank" / "samples" / "skd_demo.json"


def _key(d):  # noqa: ANN001, ANN202
    return (d.uid, d.subtest, d.kind, d.text, d.html, d.explanation, [(o.text, o.points) for o in d.options],
            d.score_lower, d.score_upper, d.category, d.tags, d.difficulty)  # fmt: skip


def test_export_survives_an_independent_qti3_upgrade_and_qti21_downgrade(tmp_path: Path):
    need(importlib.util.find_spec("qti_convert") is not None, "citolab-qti-convert is not installed (dev extra)")
    import qti_convert

    drafts = [
        *read_bank(DATA / "moodle_table_math.xml").items,
        *read_bank(DATA / "qti21_mapping_bounds.xml", subtest="TIU").items,
        *read_bank(DATA / "qti30_mapping_bounds.xml", subtest="TIU").items,
        *read_bank(DATA / "qti21_feedback.xml", subtest="TWK").items,
        *read_bank(DATA / "latex_template.csv").items,
        *read_bank(SAMPLE).items,
    ]
    ours = tmp_path / "ours21.zip"
    qti.write_package(drafts, ours, {})
    qti_convert.upgrade_package(ours, tmp_path / "theirs30.zip")
    upgraded = read_bank(tmp_path / "theirs30.zip")
    assert upgraded.problems == [] and sorted(map(_key, upgraded.items)) == sorted(map(_key, drafts))
    down = qti_convert.downgrade_package(tmp_path / "theirs30.zip", tmp_path / "theirs21.zip")
    assert {w.code for w in down.warnings} <= {"removed-attribute"}  # QTI 3's rubric "use", not ours
    back = read_bank(tmp_path / "theirs21.zip")
    assert back.problems == [] and sorted(map(_key, back.items)) == sorted(map(_key, drafts))
