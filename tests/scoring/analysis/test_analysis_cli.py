"""``exam-engine analysis --responses``: the JSON shape, key scoring, and a specific error for every bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from analysis_data import LSAT7_FREQ, expand, write_csv
from click.testing import CliRunner, Result

from exam_engine.cli import main
from scoring.analysis.responses import AnalysisInputError, read_key, read_responses_csv


def run(tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--data-dir", str(tmp_path / "inst"), "analysis", *args])


@pytest.fixture
def lsat7_csv(tmp_path: Path) -> Path:
    x = expand(LSAT7_FREQ)
    return write_csv(tmp_path / "lsat7.csv", ["id"] + [f"Item{j + 1}" for j in range(5)],
                     [[f"c{i}"] + [str(v) for v in row] for i, row in enumerate(x)])


def test_json_has_exactly_the_promised_shape(tmp_path: Path, lsat7_csv: Path) -> None:
    res = run(tmp_path, "--responses", str(lsat7_csv), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out) == {"test", "items", "irt"}
    assert set(out["test"]) == {"n", "items", "mean", "sd", "kr20", "alpha", "sem"}
    assert out["test"]["n"] == 1000 and out["test"]["items"] == 5 and out["test"]["mean"] == 3.707
    assert [it["id"] for it in out["items"]] == ["Item1", "Item2", "Item3", "Item4", "Item5"]
    for it in out["items"]:
        assert set(it) == {"id", "p", "point_biserial", "corrected_r", "alpha_if_deleted", "irt"}
        assert set(it["irt"]) == {"a", "b", "se_a", "se_b"}
    assert out["items"][2]["irt"]["a"] == pytest.approx(1.7075, abs=2e-4)  # mirt's LSAT7 estimate
    assert set(out["irt"]) == {"loglik", "quadrature_points"} and out["irt"]["quadrature_points"] == 61
    assert not (tmp_path / "inst").exists()  # a file analysis needs no database


def test_abilities_file(tmp_path: Path, lsat7_csv: Path) -> None:
    """EAP per candidate; the first LSAT7 candidate answered 00000 (mirt's EAP for it: -1.8666)."""
    ab = tmp_path / "theta.csv"
    res = run(tmp_path, "--responses", str(lsat7_csv), "--json", "--abilities", str(ab))
    assert res.exit_code == 0
    lines = ab.read_text().splitlines()
    assert lines[0] == "candidate,subtest,theta,se" and len(lines) == 1001
    cid, sub, theta, se = lines[1].split(",")
    assert cid == "c0" and sub == "all" and float(theta) == pytest.approx(-1.8666, abs=1e-2) and 0 < float(se) < 1


def test_letters_scored_with_a_key_and_partial_credit(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    theta = rng.standard_normal(400)
    rows = []
    for i in range(400):
        cells = []
        for j in range(6):
            right = rng.random() < 1 / (1 + np.exp(-(theta[i] - (j - 2.5) / 2)))
            cells.append("B" if right else str(rng.choice(list("ACD"))).lower())
        cells.append("" if i % 50 == 0 else "ABCDE"[int(np.clip(round(2 - theta[i]), 0, 4))])
        rows.append([f"p{i}"] + cells)
    resp = write_csv(tmp_path / "r.csv", ["peserta"] + [f"T{j}" for j in range(6)] + ["K1"], rows)
    key = write_csv(tmp_path / "k.csv", ["item", "option", "points"],
                    [[f"T{j}", c, "5" if c == "B" else "0"] for j in range(6) for c in "ABCD"]
                    + [["K1", c, str(5 - i)] for i, c in enumerate("ABCDE")])
    res = run(tmp_path, "--responses", str(resp), "--key", str(key), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["test"]["kr20"] is None and out["test"]["alpha"] is not None  # K1 is weighted
    assert [it["irt"] is None for it in out["items"]] == [False] * 6 + [True]
    assert all(it["point_biserial"] > 0.3 for it in out["items"])
    rm = read_responses_csv(resp, read_key(key))
    assert rm.scores[0, 6] == 0 and rm.omitted[0, 6]  # p0 left K1 blank


def test_cells_with_spaces_case_and_blank_lines(tmp_path: Path) -> None:
    resp = write_csv(tmp_path / "r.csv", ["id", "Q1", "Q2"], [["a", " b ", "A"], ["b", "", "c"], ["", "", ""],
                                                              ["c", "C", " "]])
    key = write_csv(tmp_path / "k.csv", ["item", "key"], [["Q1", "B"], ["Q2", "C"]])
    rm = read_responses_csv(resp, read_key(key))
    assert rm.candidate_ids == ["a", "b", "c"]
    assert rm.choices.tolist() == [[1, 0], [-1, 2], [2, -1]]
    assert rm.scores.tolist() == [[1, 0], [0, 1], [0, 0]]
    assert rm.omitted.tolist() == [[False, False], [True, False], [False, True]]
    num = write_csv(tmp_path / "n.csv", ["id", "Q1", "Q2"], [["a", "1", " 2.5 "], ["b", "", "0"]])
    rm = read_responses_csv(num)
    assert rm.scores.dtype == np.float32 and rm.scores.tolist() == [[1.0, 2.5], [0.0, 0.0]]
    assert rm.omitted.tolist() == [[False, False], [True, False]] and rm.items[1].max_points == 2.5


def test_text_csv_html_and_out_file(tmp_path: Path, lsat7_csv: Path) -> None:
    text = run(tmp_path, "--responses", str(lsat7_csv))
    assert text.exit_code == 0 and "Item5" in text.output and "alpha=0.453" in text.output
    csv_out = run(tmp_path, "--responses", str(lsat7_csv), "--format", "csv")
    lines = csv_out.output.strip().splitlines()
    assert lines[0].startswith("subtest,item,item_version_id,n,p,") and len(lines) == 6
    page = tmp_path / "report.html"
    res = run(tmp_path, "--responses", str(lsat7_csv), "--format", "html", "--out", str(page))
    assert res.exit_code == 0
    html = page.read_text()
    assert html.count("<svg") == 2 and "Item3" in html  # histogram + difficulty/discrimination plot


BAD_INPUTS = [
    ("ragged row", "id,Q1,Q2\na,1,0\nb,1\n", None, "row 3 has 2 cells, the header has 3", 3, None),
    ("not a number", "id,Q1,Q2\na,1,0\nb,1,x\n", None, "row 3, column 3 (item Q2): 'x' is not", 3, 3),
    ("negative", "id,Q1,Q2\na,-1,0\n", None, "row 2, column 2 (item Q1): '-1'", 2, 2),
    ("rows are file lines", "id,Q1\na,1\n\nb,x\n", None, "row 4, column 2 (item Q1): 'x'", 4, 2),
    ("infinite", "id,Q1\na,inf\n", None, "row 2, column 2 (item Q1): 'inf'", 2, 2),
    ("duplicate candidate", "id,Q1\na,1\na,0\n", None, "candidate a appears twice", 3, 1),
    ("duplicate item", "id,Q1,Q1\na,1,0\n", None, "item Q1 appears twice", 1, 3),
    ("empty item id", "id,Q1,\na,1,0\n", None, "column 3: the item id is empty", 1, 3),
    ("no candidates", "id,Q1\n", None, "no candidates", None, None),
    ("empty file", "", None, "file is empty", None, None),
    ("only ids", "id\na\n", None, "at least one item column", 1, None),
    ("unknown option", "id,Q1,Q2\na,A,B\nb,A,F\n", "item,key\nQ1,A\nQ2,B\n",
     "row 3, column 3 (item Q2): option 'F' is not one of A, B, C, D, E", 3, 3),
    ("key misses an item", "id,Q1,Q2\na,A,B\n", "item,key\nQ1,A\n", "no entry for item(s): Q2", None, None),
    ("key not an option", "id,Q1\na,A\n", "item,key,options\nQ1,E,ABCD\n", "key E of item Q1 is not one of", 2, 2),
    ("bad key header", "id,Q1\na,A\n", "question,answer\nQ1,A\n", "key header must be", 1, None),
    ("bad key points", "id,Q1\na,A\n", "item,option,points\nQ1,A,five\n", "points 'five' is not", 2, 3),
    ("key twice", "id,Q1\na,A\n", "item,key\nQ1,A\nQ1,B\n", "item Q1 is listed twice", 3, None),
    ("no points at all", "id,Q1\na,A\n", "item,option,points\nQ1,A,0\nQ1,B,0\n", "no option of item Q1", None,
     None),
]


@pytest.mark.parametrize("name,responses,key,message,row,column", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_gets_a_specific_error(tmp_path: Path, name: str, responses: str, key: str | None, message: str,
                                         row: int | None, column: int | None) -> None:
    rpath = tmp_path / "r.csv"
    rpath.write_text(responses, encoding="utf-8")
    args = ["--responses", str(rpath), "--json"]
    kpath = None
    if key is not None:
        kpath = tmp_path / "k.csv"
        kpath.write_text(key, encoding="utf-8")
        args += ["--key", str(kpath)]
    res = run(tmp_path, *args)
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert res.output.startswith("error: ")
    with pytest.raises(AnalysisInputError) as exc:
        read_responses_csv(rpath, read_key(kpath) if kpath else None)
    assert exc.value.row == row and exc.value.column == column


@pytest.mark.parametrize("args,message", [
    ([], "exactly one of --responses"),
    (["--exam", "X", "--responses", "r.csv"], "exactly one of --responses"),
    (["--exam", "X", "--key", "k.csv"], "--key only applies"),
    (["--responses", "missing.csv", "--json"], "file not found"),
    (["--responses", "r.csv", "--json", "--format", "csv"], "contradict"),
])
def test_bad_option_combinations(tmp_path: Path, args: list[str], message: str) -> None:
    res = run(tmp_path, *[str(tmp_path / a) if a.endswith(".csv") else a for a in args])
    assert res.exit_code == 2 and message in res.output


def test_messages_are_indonesian_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXAM_LOCALE")
    rpath = tmp_path / "r.csv"
    rpath.write_text("id,Q1,Q2\na,1,0\nb,1\n", encoding="utf-8")
    res = run(tmp_path, "--responses", str(rpath), "--json")
    assert res.exit_code == 2
    assert "galat: baris jawaban 3 memiliki 2 sel, judul memiliki 3" in res.output
