"""``exam-engine rank``, ``verify`` and ``verify-receipt`` through the real command group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from exam_engine.cli import main
from ground.crypto import load_signing_key, public_key_pem
from scoring.receipts import make_receipt

pytestmark = pytest.mark.usefixtures("english")


HEADER = "participant_no,name,formation,formation_quota,entry_path,TWK,TIU,TKP\n"


def run(tmp_path: Path, *args: str):
    return CliRunner().invoke(main, ["--data-dir", str(tmp_path / "inst"), *args], catch_exceptions=False)


def sheet(tmp_path: Path, body: str, name: str = "scores.csv") -> Path:
    p = tmp_path / name
    p.write_text(HEADER + body, encoding="utf-8")
    return p


def test_rank_json_shape_and_codes(tmp_path: Path) -> None:
    p = sheet(tmp_path, "1,A,F,1,,100,100,200\n2,B,F,1,,150,175,150\n3,C,F,1,,65,80,166\n4,D,G,2,,10,10,10\n")
    res = run(tmp_path, "rank", str(p), "--preset", "skd-2024", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [f["formation"] for f in data["formations"]] == ["F", "G"]
    f = data["formations"][0]
    assert (f["quota"], f["slots"]) == (1, 3)
    assert [(r["participant_no"], r["rank"], r["code"]) for r in f["ranking"]] == [
        ("1", 1, "P/L"), ("3", 2, "P/L"), ("2", None, "TL")
    ]
    assert set(f["ranking"][0]) == {"rank", "participant_no", "total", "passed", "advances", "code"}


def test_rank_xlsx_input_and_signed_out(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["participant_no", "formation", "formation_quota", "TWK", "TIU", "TKP"])
    ws.append(["9", "F", 1, 100, 100, 200])
    wb.save(tmp_path / "s.xlsx")
    out = tmp_path / "ranked.csv"
    res = run(tmp_path, "rank", str(tmp_path / "s.xlsx"), "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "P/L" in out.read_text()
    assert (tmp_path / "ranked.csv.sig").exists()
    assert run(tmp_path, "verify", str(out)).output.startswith("VALID")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("1,A,F,1,,100,,200\n", "row 2, column TIU: score is missing"),
        ("1,A,F,1,,100,100,200\n2,B,F,1,,100,100,230\n", "row 3, column TKP: 230 is above the maximum 225"),
        ("1,A,F,three,,100,100,200\n", "row 2, column formation_quota: 'three' is not a whole number"),
        ("1,A,F,1,,100,abc,200\n", "row 2, column TIU: 'abc' is not a number"),
        ("1,A,F,1,martian,100,100,200\n", "row 2, column entry_path: 'martian' has no passing grades"),
        ("1,A,F,1,,100,100,200\n1,B,F,1,,100,100,200\n", "row 3, column participant_no: 1 already on row 2"),
        ("1,A,F,1,,100,100,200\n2,B,F,2,,100,100,200\n", "row 3, column formation_quota: 2 differs from 1 on row 2"),
    ],
)
def test_rank_bad_rows_reported_nothing_ranked(tmp_path: Path, body: str, expected: str) -> None:
    out = tmp_path / "o.csv"
    res = run(tmp_path, "rank", str(sheet(tmp_path, body)), "--json", "--out", str(out))
    assert res.exit_code == 2
    assert expected in res.output
    assert "nothing was ranked" in res.output
    assert not out.exists()


def test_rank_missing_column_and_bad_preset(tmp_path: Path) -> None:
    p = tmp_path / "s.csv"
    p.write_text("participant_no,formation,formation_quota,TWK,TIU\n1,F,1,5,5\n")
    res = run(tmp_path, "rank", str(p))
    assert res.exit_code == 2 and "row 1, column TKP: column is missing" in res.output
    res = run(tmp_path, "rank", str(p), "--preset", "skd-1990")
    assert res.exit_code == 2 and "unknown grading preset 'skd-1990'" in res.output
    res = run(tmp_path, "rank", str(tmp_path / "nope.csv"))
    assert res.exit_code == 2 and "no such file" in res.output


def test_verify_catches_a_changed_byte_and_a_changed_sig(tmp_path: Path) -> None:
    p = sheet(tmp_path, "1,A,F,1,,100,100,200\n")
    out = tmp_path / "r.json"
    assert run(tmp_path, "rank", str(p), "--out", str(out)).exit_code == 0
    assert run(tmp_path, "verify", str(out)).exit_code == 0
    data = bytearray(out.read_bytes())
    data[10] ^= 1
    out.write_bytes(bytes(data))
    res = run(tmp_path, "verify", str(out))
    assert res.exit_code == 1 and "INVALID" in res.output and "the file changed: SHA-256" in res.output
    data[10] ^= 1
    out.write_bytes(bytes(data))
    sig = tmp_path / "r.json.sig"
    doc = json.loads(sig.read_text())
    doc["signed_at"] = "2020-01-01T00:00:00+00:00"
    sig.write_text(json.dumps(doc))
    res = run(tmp_path, "verify", str(out))
    assert res.exit_code == 1 and ".sig file was altered" in res.output
    sig.unlink()
    res = run(tmp_path, "verify", str(out))
    assert res.exit_code == 1 and "signature file not found" in res.output


def test_verify_with_another_installations_key(tmp_path: Path) -> None:
    p = sheet(tmp_path, "1,A,F,1,,100,100,200\n")
    out = tmp_path / "r.csv"
    assert run(tmp_path, "rank", str(p), "--out", str(out)).exit_code == 0
    other = tmp_path / "other.pem"
    other.write_text(public_key_pem(load_signing_key(tmp_path / "other-inst")))
    res = run(tmp_path, "verify", str(out), "--public-key", str(other))
    assert res.exit_code == 1 and "signed by another key" in res.output
    mine = tmp_path / "mine.pem"
    mine.write_text(public_key_pem(load_signing_key(tmp_path / "inst")))
    assert run(tmp_path, "verify", str(out), "--public-key", str(mine)).exit_code == 0


def test_verify_without_any_key_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("a\n")
    res = run(tmp_path, "verify", str(f))
    assert res.exit_code == 2 and "--public-key" in res.output
    assert not (tmp_path / "inst" / "signing.key").exists()


def test_verify_receipt_valid_and_tampered(tmp_path: Path) -> None:
    key = load_signing_key(tmp_path / "inst")
    receipt = make_receipt(key, {"participant_no": "123", "total": 400, "answers": "ab" * 32})
    res = run(tmp_path, "verify-receipt", receipt)
    assert res.exit_code == 0 and '"participant_no": "123"' in res.output
    payload, sig = receipt.split(".")
    bad = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + sig
    res = run(tmp_path, "verify-receipt", bad)
    assert res.exit_code == 1 and "INVALID" in res.output
    f = tmp_path / "receipt.txt"
    f.write_text(receipt + "\n")
    assert run(tmp_path, "verify-receipt", "--file", str(f)).exit_code == 0
    assert run(tmp_path, "verify-receipt").exit_code == 2
