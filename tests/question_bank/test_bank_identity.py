"""Item identity on import: only an explicit identifier (QTI identifier, Moodle idnumber, our uid) updates an item;
names never merge unrelated questions, and an update needs --update."""

import json
from pathlib import Path

from sqlalchemy import select

from ground import db
from ground.models import Item, ItemVersion

DATA = Path(__file__).resolve().parent / "data" / "fidelity"


def _kinds(url: str) -> dict[str, tuple[str, int]]:
    with db.session_scope(url) as s:
        rows = s.execute(
            select(Item.uid, ItemVersion.kind, Item.current_version).join(
                ItemVersion, (ItemVersion.item_id == Item.id) & (ItemVersion.version == Item.current_version)
            )
        )
        return {uid: (kind, n) for uid, kind, n in rows}


def test_moodle_names_repeated_across_files_never_overwrite_items(run):
    res = run("bank", "import", str(DATA / "clash_truefalse.xml"), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["new"] == 2
    res = run("bank", "import", str(DATA / "clash_multichoice.xml"), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert (out["new"], out["updated"], out["unchanged"], out["skipped"]) == (3, 0, 0, 0)
    kinds = _kinds(run.url)
    assert len(kinds) == 5
    assert sorted(k for k, _n in kinds.values()) == ["single", "single", "single", "truefalse", "truefalse"]
    assert all(n == 1 for _k, n in kinds.values())  # no item got a second version
    assert kinds["Question 1"] == ("truefalse", 1) and kinds["Question 2"] == ("truefalse", 1)
    # the renamed ones say so
    assert any("Question 1" in w["message"] for w in out["warnings"])


def test_same_name_file_reimported_is_unchanged(run):
    run("bank", "import", str(DATA / "clash_multichoice.xml"))
    res = run("bank", "import", str(DATA / "clash_multichoice.xml"), "--json")
    out = json.loads(res.output)
    assert res.exit_code == 0, res.output
    assert (out["new"], out["updated"], out["unchanged"]) == (0, 0, 3)
    assert len(_kinds(run.url)) == 3


def test_explicit_idnumber_update_needs_the_update_flag(run):
    assert run("bank", "import", str(DATA / "idnumber_v1.xml")).exit_code == 0
    res = run("bank", "import", str(DATA / "idnumber_v2.xml"), "--json")
    assert res.exit_code == 1
    out = json.loads(res.output)
    assert out["updated"] == 0 and len(out["problems"]) == 1
    problem = out["problems"][0]
    assert "TWK-ID-1" in problem["location"] and "--update" in problem["message"]
    assert _kinds(run.url)["TWK-ID-1"] == ("single", 1)
    res = run("bank", "import", str(DATA / "idnumber_v2.xml"), "--update")
    assert res.exit_code == 0, res.output
    assert "Sila pertama" in res.output and "Bunyi sila pertama" in res.output  # old → new, per item
    assert _kinds(run.url)["TWK-ID-1"] == ("single", 2)
    res = run("bank", "import", str(DATA / "idnumber_v2.xml"), "--json")
    out = json.loads(res.output)
    assert res.exit_code == 0 and (out["new"], out["updated"], out["unchanged"]) == (0, 0, 1)


def test_same_question_twice_under_one_name_is_a_duplicate_not_a_refusal(run, tmp_path: Path):
    question = (
        '<question type="truefalse"><name><text>Q</text></name>'
        "<questiontext><text>Indonesia merdeka tahun 1945.</text></questiontext>"
        '<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer></question>'
    )
    bank = tmp_path / "twice.xml"
    bank.write_text(f"<quiz>{question}{question}</quiz>", encoding="utf-8")
    res = run("bank", "import", str(bank), "--subtest", "TWK", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert (out["new"], out["duplicates"], out["unchanged"], out["skipped"]) == (1, 1, 0, 0)
    assert len(_kinds(run.url)) == 1


def test_csv_export_says_which_items_lose_their_tables(run, tmp_path: Path):
    assert run("bank", "import", str(DATA / "moodle_table_math.xml")).exit_code == 0
    assert run("bank", "import", str(DATA / "latex_template.csv")).exit_code == 0
    res = run("bank", "export", str(tmp_path / "out.csv"))
    assert res.exit_code == 0
    assert "TIU-TAB-1" in res.output and "TIU-LTX-1" not in res.output  # LaTeX is rebuilt from the text
