"""Format detection (extension and header before content sniffing), lenient Aiken, refusals that name their
file and line, and --skip-invalid storing no image of a refused item."""

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ground import db
from ground.models import Item
from ground.models.bank_images import BankImage
from question_bank.formats import detect_format, read_bank

DATA = Path(__file__).resolve().parent / "data" / "fidelity"


def test_template_csv_with_latex_is_csv_not_gift():
    csv_bytes = (DATA / "latex_template.csv").read_bytes()
    assert detect_format(csv_bytes, "latex_template.csv") == "csv"
    assert detect_format(csv_bytes, "upload.txt") == "csv"  # the header decides before any content sniffing
    assert detect_format(csv_bytes, "") == "csv"
    parsed = read_bank(DATA / "latex_template.csv")
    assert parsed.fmt == "csv" and parsed.problems == []
    first, second = parsed.items
    assert first.text == r"Nilai dari $\sum_{k=1}^{10} k$ adalah ..."  # question_text is the question column
    assert [o.points for o in first.options] == [0, 5, 0] and first.explanation.startswith(r"$\sum")
    assert second.text == "Jika {x} = 3, maka 2x = ..."


def test_aiken_is_as_lenient_as_moodle_and_reports_stray_lines():
    parsed = read_bank(DATA / "lenient.aiken.txt", subtest="TWK")
    assert parsed.fmt == "aiken"
    first, second = parsed.items
    assert [o.text for o in first.options] == ["Bandung", "Semarang", "Surabaya"]
    assert [o.points for o in first.options] == [5, 0, 0]
    assert [o.text for o in second.options] == ["Bintang", "Rantai"]
    where = {p.location.rsplit(":", 1)[1]: p.message for p in parsed.problems}
    assert set(where) == {"7", "9"}  # the stray option line and the stray ANSWER line, each at its line
    assert "without a question" in where["7"] and "ANSWER" in where["9"]
    assert all(p.location.startswith(str(DATA / "lenient.aiken.txt")) for p in parsed.problems)


def test_image_refusals_name_the_file_and_the_item_place():
    parsed = read_bank(DATA / "images.csv")
    problems = {p.location: p.message for p in parsed.problems}
    name = str(DATA / "images.csv")
    assert set(problems) == {f"{name}:2 [TIU-IMG-1]", f"{name}:3 [TIU-IMG-2]"}
    assert "tidak_ada.png" in problems[f"{name}:2 [TIU-IMG-1]"] and "not found" in problems[f"{name}:2 [TIU-IMG-1]"]
    assert "gambar.svg" in problems[f"{name}:3 [TIU-IMG-2]"] and "SVG" in problems[f"{name}:3 [TIU-IMG-2]"]
    assert [d.uid for d in parsed.items] == ["TIU-IMG-3"] and len(parsed.images) == 1


def test_skip_invalid_stores_no_image_of_a_refused_item(run, tmp_path: Path):
    png = (DATA / "titik.png").read_bytes()
    other = png[:-12] + b"\x00" * 12  # another valid-looking PNG (same header), a different hash
    (tmp_path / "a.png").write_bytes(png)
    (tmp_path / "b.png").write_bytes(other)
    bank = tmp_path / "bank.csv"
    bank.write_text(
        "uid,subtest,question,option_a,option_b,key,image\n"
        "OK-1,TIU,Soal baik,Ya,Tidak,A,a.png\n"
        "BAD-1,TIU,Soal rusak,Ya,Ya,A,b.png\n",
        encoding="utf-8",
    )
    res = run("bank", "import", str(bank), "--skip-invalid", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert (out["new"], out["skipped"], out["images"]) == (1, 1, 1)
    with db.session_scope(run.url) as s:
        assert s.scalar(select(func.count()).select_from(BankImage)) == 1


def test_skip_invalid_counts_each_refused_item_once(run):
    res = run("bank", "import", str(DATA / "images.csv"), "--skip-invalid", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert (out["new"], out["skipped"], len(out["problems"])) == (1, 2, 2)  # the two image refusals, once each


def test_skip_invalid_leaves_out_an_item_whose_bank_image_is_missing_in_any_language(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("EXAM_LOCALE", "id")  # the default language: its message does not start with "image"
    options = [{"text": "Ya", "points": 5}, {"text": "Tidak", "points": 0}]
    items = [
        {"uid": "GBR-1", "subtest": "TIU", "text": "Soal dengan gambar yang hilang", "options": options,
         "media": [{"src": "bank:" + "ab" * 32}]},
        {"uid": "GBR-2", "subtest": "TIU", "text": "Soal tanpa gambar", "options": options},
    ]  # fmt: skip
    bank = tmp_path / "bank.json"
    bank.write_text(json.dumps({"format": "exam-engine-bank", "version": 1, "items": items}), encoding="utf-8")
    res = run("bank", "import", str(bank), "--skip-invalid", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert (out["new"], out["skipped"]) == (1, 1) and "GBR-1" in out["problems"][0]["location"]
    with db.session_scope(run.url) as s:
        assert s.scalars(select(Item.uid)).all() == ["GBR-2"]


def test_template_csv_with_latex_imports_through_the_cli(run):
    res = run("bank", "import", str(DATA / "latex_template.csv"), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["new"] == 2


def test_moodle_problems_name_the_line_of_their_question():
    parsed = read_bank(DATA / "clash_multichoice.xml")
    assert [d.source.split(": question")[0].rsplit(":", 1)[1] for d in parsed.items] == ["6", "14", "21"]
