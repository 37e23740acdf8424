"""The project's own JSON bank format: the shipped sample, schema errors by place, round trip."""

import json
from pathlib import Path

import pytest

from question_bank.formats import FormatError, read_bank
from question_bank.formats.json_format import bank_document, json_item_lines, validator, write_json
from tests.question_bank.drafts import fingerprint

SAMPLE = Path(__file__).resolve().parents[2] / "question_bank" / "samples" / "skd_demo.json"


def test_sample_bank_is_a_valid_skd_demo():
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    assert list(validator().iter_errors(doc)) == []
    result = read_bank(SAMPLE)
    assert result.problems == [] and result.fmt == "json"
    by = {s: [d for d in result.items if d.subtest == s] for s in ("TWK", "TIU", "TKP")}
    for code, items in by.items():
        assert len(items) >= 12, code
        for d in items:
            assert len(d.options) == 5
            pts = sorted(o.points for o in d.options)
            if code == "TKP":
                assert pts == [1, 2, 3, 4, 5], d.uid
            else:
                assert pts == [0, 0, 0, 0, 5], d.uid


def test_round_trip_through_write_json(tmp_path: Path):
    items = read_bank(SAMPLE).items
    out = tmp_path / "copy.json"
    write_json(items, out, title="copy")
    again = read_bank(out).items
    assert [fingerprint(d) for d in again] == [fingerprint(d) for d in items]


def test_schema_errors_are_reported_per_item_with_uid(tmp_path: Path):
    doc = bank_document(read_bank(SAMPLE).items[:3])
    doc["items"][1]["options"][0]["points"] = "lima"
    doc["items"][2]["options"] = doc["items"][2]["options"][:1]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = read_bank(path)
    assert [d.uid for d in result.items] == [doc["items"][0]["uid"]]
    locs = [p.location for p in result.problems]
    assert any("item 2" in loc and doc["items"][1]["uid"] in loc for loc in locs)
    assert any("item 3" in loc for loc in locs)
    assert any("options[0].points" in p.message for p in result.problems)


def test_problems_name_the_line_where_the_item_starts(tmp_path: Path):
    items = bank_document(read_bank(SAMPLE).items[:3])["items"]
    items[1]["options"][0]["points"] = "lima"  # a schema error
    items[2]["options"] = [items[2]["options"][0], dict(items[2]["options"][0])]  # a repeated option (checked later)
    # a hand-written file: an escaped line break before the items, two items on one line
    text = (
        '{\n  "format": "exam-engine-bank",\n  "title": "Bank\\nsoal",\n\n'
        '  "items": [\n'
        f"    {json.dumps(items[0], indent=2)},\n"
        f"    {json.dumps(items[1])}, {json.dumps(items[2], indent=1)}\n"
        "  ],\n  \"version\": 1\n}\n"
    )
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    line_1 = 6
    line_2 = line_1 + json.dumps(items[0], indent=2).count("\n") + 1
    assert json_item_lines(text) == [line_1, line_2, line_2]
    assert json_item_lines('{"a": {"items": [1]},\n"items": [\n{}, []]}') == [3, 3], "the top level's only"
    assert json_item_lines("[1, 2]") == []
    result = read_bank(path)
    assert [d.source for d in result.items] == [f"{path}:{line_1}: item 1"]
    where = {p.location for p in result.problems}
    assert f"{path}:{line_2}: item 2 [{items[1]['uid']}]" in where
    assert f"{path}:{line_2}: item 3 [{items[2]['uid']}]" in where

    yaml_path = tmp_path / "bad.yaml"
    yaml_path.write_text(
        "format: exam-engine-bank\nversion: 1\n# comment\nitems:\n"
        "- uid: Y-1\n  subtest: TWK\n  text: Soal\n  options:\n  - {text: A, points: 5}\n  - {text: B, points: 0}\n"
        "- uid: Y-2\n  subtest: TWK\n  text: Soal dua\n  options:\n  - {text: A, points: lima}\n",
        encoding="utf-8",
    )
    got = read_bank(yaml_path)
    assert [d.source for d in got.items] == [f"{yaml_path}:5: item 1"]
    assert {p.location for p in got.problems} == {f"{yaml_path}:11: item 2 [Y-2]"}


def test_duplicate_uid_in_one_file_is_a_problem(tmp_path: Path):
    doc = bank_document(read_bank(SAMPLE).items[:2])
    doc["items"][1]["uid"] = doc["items"][0]["uid"]
    path = tmp_path / "dup.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = read_bank(path)
    assert len(result.items) == 1
    assert "already used" in result.problems[0].message


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'{"format": "exam-engine-bank", "items": [', "invalid JSON"),
        (b'{"format": "something-else", "items": []}', "not an exam-engine bank"),
        (b'\xff\xfe{"a"', "not UTF-8"),
    ],
)
def test_unreadable_files_raise_format_error(tmp_path: Path, content: bytes, fragment: str):
    path = tmp_path / "x.json"
    path.write_bytes(content)
    with pytest.raises(FormatError, match=fragment):
        read_bank(path, fmt="json")


def test_size_limit_is_enforced_before_parsing(tmp_path: Path):
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 2000)
    with pytest.raises(FormatError, match="over the limit"):
        read_bank(path, max_bytes=1000)


# the fast item check must agree with the JSON Schema on everything (it only exists for speed)
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from question_bank.formats.json_format import item_ok, item_validator  # noqa: E402

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False), st.text(max_size=3))
json_values = st.recursive(json_scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c,
                           max_size=2), max_leaves=5)  # fmt: skip
GOOD = {
    "uid": "A", "subtest": "TIU", "text": "t", "kind": "single", "category": None, "tags": ["x"],
    "difficulty": "d", "explanation": None, "media": [{"src": "a.png", "alt": "", "sha256": "0" * 64}],
    "options": [{"text": "a", "points": 5}, {"text": "b", "points": 0.5, "media": []}],
}  # fmt: skip
fields = st.sampled_from(sorted(GOOD) + ["extra"])
option_fields = st.sampled_from(["text", "points", "media", "extra"])


@settings(max_examples=400, deadline=None)
@given(field=fields, value=json_values, drop=st.booleans(), opt_field=option_fields, opt_value=json_values,
       touch_option=st.booleans())  # fmt: skip
def test_fast_check_agrees_with_the_schema(field, value, drop, opt_field, opt_value, touch_option):
    item = json.loads(json.dumps(GOOD))
    if touch_option:
        if drop:
            item["options"][0].pop(opt_field, None)
        else:
            item["options"][0][opt_field] = opt_value
    elif drop:
        item.pop(field, None)
    else:
        item[field] = value
    assert item_ok(item) == item_validator().is_valid(item), item
