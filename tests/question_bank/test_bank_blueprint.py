"""Blueprints: presets, validation that names the wrong field, and the dict round trip."""

from pathlib import Path

import pytest

from question_bank.blueprint import (
    Blueprint,
    BlueprintError,
    Draw,
    Section,
    blueprint_to_dict,
    load_blueprint,
    load_preset,
    preset_names,
)


def test_skd_preset_matches_the_regulation():
    bp = load_preset("skd")
    assert [(s.code, s.count) for s in bp.sections] == [("TWK", 30), ("TIU", 35), ("TKP", 45)]
    assert bp.duration_s == 6000 and bp.total_items == 110
    assert bp.grading == {"preset": "skd-2024"}
    assert {"skd", "skd_demo"} <= set(preset_names())


def test_demo_preset_and_round_trip():
    bp = load_preset("skd_demo")
    assert [(s.code, s.count) for s in bp.sections] == [("TWK", 10), ("TIU", 10), ("TKP", 10)]
    assert bp.duration_s == 1800
    assert bp.sections[0].draws == (Draw(2, "pancasila"), Draw(2, "uud1945"))
    again = load_blueprint(blueprint_to_dict(bp))
    assert again == bp and blueprint_to_dict(again) == blueprint_to_dict(bp)


def test_defaults_from_a_minimal_mapping():
    bp = load_blueprint({"code": "x", "duration_s": 600, "sections": [{"code": "TIU", "count": 3}]})
    assert bp == Blueprint("x", "x", 600, (Section("TIU", "TIU", 3),))
    assert bp.shuffle_questions and bp.shuffle_options


def test_yaml_and_json_files(tmp_path: Path):
    y = tmp_path / "b.yaml"
    y.write_text("code: a\nduration_s: 900\nsections:\n  - {code: TWK, count: 2}\n", encoding="utf-8")
    j = tmp_path / "b.json"
    j.write_text('{"code": "a", "duration_s": 900, "sections": [{"code": "TWK", "count": 2}]}', encoding="utf-8")
    assert load_blueprint(y) == load_blueprint(j)


GOOD = {"code": "x", "duration_s": 600, "sections": [{"code": "TIU", "count": 3}]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": ""}, "code"),
        ({"duration_s": "100"}, "duration_s"),
        ({"duration_s": 5}, "duration_s"),
        ({"sections": []}, "sections"),
        ({"sections": [{"code": "TIU", "count": 0}]}, r"sections\[0\].count"),
        ({"sections": [{"code": "TIU", "count": True}]}, r"sections\[0\].count"),
        ({"sections": [{"count": 3}]}, r"sections\[0\].code"),
        ({"sections": [{"code": "TIU", "count": 3, "colour": "red"}]}, r"sections\[0\].colour"),
        ({"sections": [{"code": "TIU", "count": 3}, {"code": "TIU", "count": 1}]}, "appears more than once"),
        ({"sections": [{"code": "TIU", "count": 3, "draws": [{"count": 4, "category": "a"}]}]}, r"sections\[0\].draws"),
        ({"sections": [{"code": "TIU", "count": 3, "draws": [{"count": 1}]}]}, r"sections\[0\].draws\[0\]"),
        ({"shuffle_options": "yes"}, "shuffle_options"),
        ({"grading": "skd"}, "grading"),
        ({"durasi": 5}, "durasi"),
    ],
)
def test_bad_blueprints_name_the_field(change: dict, field: str):
    with pytest.raises(BlueprintError, match=field):
        load_blueprint({**GOOD, **change})


def test_unknown_preset_and_unreadable_file(tmp_path: Path):
    with pytest.raises(BlueprintError, match="available"):
        load_preset("nope")
    with pytest.raises(BlueprintError, match="cannot be read"):
        load_blueprint(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("code: [unclosed\n", encoding="utf-8")
    with pytest.raises(BlueprintError, match="not valid YAML"):
        load_blueprint(bad)
