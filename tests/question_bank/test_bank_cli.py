"""``exam-engine bank …`` end to end on a real data folder: whole-file refusal, --skip-invalid, --json, export,
template, list, check, rotate-key with the audit log."""

import json
import os
import stat
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from ground import clock, crypto, db
from ground.models import AuditEvent, Exam, Item, ItemVersion
from ground.models.bank_images import BankImage
from question_bank.formats import read_bank
from question_bank.packages import new_exam_key, unwrap_exam_key

DATA = Path(__file__).resolve().parent / "data"
SAMPLE = Path(__file__).resolve().parents[2] / "question_bank" / "samples" / "skd_demo.json"


def count(url: str, table) -> int:  # noqa: ANN001
    with db.session_scope(url) as s:
        return s.scalar(select(func.count()).select_from(table)) or 0


def test_import_sample_summary_and_reimport(run):
    res = run("bank", "import", str(SAMPLE))
    assert res.exit_code == 0, res.output
    assert "38" in res.output and "TWK 13" in res.output
    res = run("bank", "import", str(SAMPLE), "--json")
    out = json.loads(res.output)
    assert (out["imported"], out["duplicates"], out["skipped"], out["problems"]) == (0, 38, 0, [])
    assert count(run.url, Item) == 38 and count(run.url, ItemVersion) == 38
    with db.session_scope(run.url) as s:
        actions = [e.action for e in s.scalars(select(AuditEvent))]
    assert actions.count("bank_imported") == 2


def test_one_bad_item_refuses_the_whole_file_and_changes_nothing(run):
    run("bank", "import", str(SAMPLE))
    before = count(run.url, Item)
    res = run("bank", "import", str(DATA / "ugly.gift"), "--json")
    assert res.exit_code == 1
    out = json.loads(res.output)
    assert out["imported"] == 0 and len(out["problems"]) == 6
    assert {"location", "message"} == set(out["problems"][0])
    assert any("essay" in p["message"] and "ESSAY-1" in p["location"] for p in out["problems"])
    assert count(run.url, Item) == before
    res = run("bank", "import", str(DATA / "ugly.gift"))
    assert res.exit_code == 1 and "--skip-invalid" in res.output  # the hint, in any locale


def test_skip_invalid_imports_the_valid_items_and_reports_the_rest(run):
    res = run("bank", "import", str(DATA / "ugly.gift"), "--skip-invalid", "--json")
    assert res.exit_code == 0
    out = json.loads(res.output)
    assert (out["imported"], out["skipped"], len(out["problems"])) == (7, 6, 6)
    assert count(run.url, Item) == 7


def test_dry_run_stores_nothing(run):
    res = run("bank", "import", str(SAMPLE), "--dry-run", "--json")
    assert json.loads(res.output)["imported"] == 38 and json.loads(res.output)["dry_run"] is True
    assert count(run.url, Item) == 0


def test_unreadable_file_exit_2_with_json(run, tmp_path: Path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<quiz><question>", encoding="utf-8")
    res = run("bank", "import", str(bad), "--json")
    assert res.exit_code == 2 and "invalid XML" in json.loads(res.output)["problems"][0]["message"]
    res = run("bank", "import", str(DATA / "xxe.xml"))
    assert res.exit_code == 2 and "unsafe XML" in res.output


def test_images_are_stored_and_exported_in_qti(run, tmp_path: Path):
    res = run("bank", "import", str(DATA / "quiz_moodle.xml"), "--skip-invalid")
    assert res.exit_code == 0, res.output
    assert count(run.url, BankImage) == 1
    out = tmp_path / "export.zip"
    res = run("bank", "export", str(out))
    assert res.exit_code == 0 and "3 " in res.output
    back = read_bank(out)
    assert len(back.items) == 3 and len(back.images) == 1
    # a table export refers to the stored image as bank:<sha256>; re-importing it finds the image in the bank
    csv_out = tmp_path / "export.csv"
    run("bank", "export", str(csv_out))
    res = run("bank", "import", str(csv_out), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["duplicates"] == 3


@pytest.mark.parametrize("suffix", [".zip", ".json", ".yaml", ".csv", ".xlsx"])
def test_an_export_is_private_to_its_owner(run, tmp_path: Path, suffix: str):
    """An export is the bank in plain text (the database holds it sealed): owner-only whatever the umask."""
    assert run("bank", "import", str(SAMPLE)).exit_code == 0
    out = tmp_path / f"bank{suffix}"
    old = os.umask(0o022)
    try:
        res = run("bank", "export", str(out))
    finally:
        os.umask(old)
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert len(read_bank(out).items) > 0


def test_missing_bank_image_reference_is_a_problem(run, tmp_path: Path):
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    doc["items"] = doc["items"][:2]
    doc["items"][1]["media"] = [{"src": "bank:" + "0" * 64}]
    path = tmp_path / "ref.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    res = run("bank", "import", str(path), "--json")
    out = json.loads(res.output)
    assert res.exit_code == 1 and "is not in the bank" in out["problems"][0]["message"]
    assert count(run.url, Item) == 0


def test_template_is_an_empty_workbook_with_instructions_that_imports_nothing(run, tmp_path: Path):
    path = tmp_path / "bank.xlsx"
    res = run("bank", "template", str(path))
    assert res.exit_code == 0
    wb = load_workbook(path)
    assert wb.sheetnames == ["Soal", "Petunjuk"]
    header = [c.value for c in wb["Soal"][1]]
    assert header[:7] == ["uid", "subtest", "category", "difficulty", "tags", "kind", "question"]
    assert "weight_e" in header and wb["Soal"].max_row == 1
    assert wb["Petunjuk"].max_row >= 10
    # filled in by a committee member, it imports
    ws = wb["Soal"]
    ws.append(["T-1", "TWK", "x", "mudah", "a;b", "single", "Soal?", "A", "B", None, None, None, "B"])
    wb.save(path)
    res = run("bank", "import", str(path), "--json")
    assert json.loads(res.output)["imported"] == 1
    assert run("bank", "template", str(tmp_path / "t.csv")).exit_code == 0
    assert (tmp_path / "t.csv").read_text(encoding="utf-8-sig").startswith("uid,subtest")
    assert run("bank", "template", str(tmp_path / "t.doc")).exit_code == 2


def test_list_and_check(run):
    run("bank", "import", str(SAMPLE))
    out = json.loads(run("bank", "list", "--json").output)
    assert out["items"] == 38 and out["subtests"]["TKP"]["items"] == 12
    assert out["subtests"]["TWK"]["category"]["sejarah"] == 4
    ok = run("bank", "check", "skd_demo")
    assert ok.exit_code == 0
    short = run("bank", "check", "skd")
    assert short.exit_code == 1 and "TIU: 35 items needed, 13 in the bank" in short.output
    assert run("bank", "check", "no-such-preset").exit_code == 2


def test_rotate_key_rewraps_exam_keys_and_is_audited(run):
    run("bank", "list")  # creates the data folder and database
    old_master = crypto.load_master_key(run.data_dir)
    data_key, wrapped = new_exam_key(old_master, "SKD-1")
    with db.session_scope(run.url) as s:
        s.add(Exam(code="SKD-1", title="t", duration_s=6000, data_key_wrapped=wrapped, created_at=clock.now()))
    res = run("bank", "rotate-key", "--yes")
    assert res.exit_code == 0, res.output
    new_master = crypto.load_master_key(run.data_dir)
    assert new_master != old_master and not (run.data_dir / "master.key.new").exists()
    with db.session_scope(run.url) as s:
        exam = s.scalars(select(Exam)).one()
        assert unwrap_exam_key(new_master, "SKD-1", exam.data_key_wrapped) == data_key
        with pytest.raises(crypto.TamperedError):
            unwrap_exam_key(old_master, "SKD-1", exam.data_key_wrapped)
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "master_key_rotated")).one()
        assert ev.details == {"exams": ["SKD-1"]}


def test_rotate_key_refuses_when_a_key_does_not_open(run):
    run("bank", "list")
    crypto.load_master_key(run.data_dir)
    _key, wrapped = new_exam_key(crypto.new_key(), "OTHER")  # wrapped by a master key this installation lacks
    with db.session_scope(run.url) as s:
        s.add(Exam(code="OTHER", title="t", duration_s=60, data_key_wrapped=wrapped, created_at=clock.now()))
    before = (run.data_dir / "master.key").read_bytes()
    res = run("bank", "rotate-key", "--yes")
    assert res.exit_code == 2 and "OTHER" in res.output
    assert (run.data_dir / "master.key").read_bytes() == before
    assert not (run.data_dir / "master.key.new").exists()
    with db.session_scope(run.url) as s:
        assert s.scalars(select(Exam)).one().data_key_wrapped == wrapped


def test_rotate_key_refuses_when_the_bank_key_does_not_open(run):
    assert run("bank", "import", str(SAMPLE)).exit_code == 0  # the bank key is wrapped by this master key
    (run.data_dir / "master.key").write_bytes(crypto.b64e(crypto.new_key()).encode())  # then the key file is lost
    before = (run.data_dir / "master.key").read_bytes()
    res = run("bank", "rotate-key", "--yes")
    assert res.exit_code == 2 and "bank" in res.output and "nothing changed" in res.output
    assert (run.data_dir / "master.key").read_bytes() == before
    assert not (run.data_dir / "master.key.new").exists()


def test_progress_bar_on_large_imports(run, tmp_path: Path):
    doc = json.loads(SAMPLE.read_text(encoding="utf-8"))
    base = doc["items"][0]
    doc["items"] = [dict(base, uid=f"BIG-{i}", text=f"{base['text']} #{i}") for i in range(600)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    res = run("bank", "import", str(path))
    assert res.exit_code == 0 and "600 " in res.output
