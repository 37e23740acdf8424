"""The final stage end to end on a real database: SKB in, integration, signed exports, onboarding records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from scoring_factory import add_candidate, make_exam
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_engine.cli import main
from ground.models import Result
from ground.models.scoring import FinalResult, OnboardingRecord, SkbScore
from scoring.store.final import skb_from_exam

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("EXAM_DATABASE_URL", db_url)

    def run(*args: str):
        return CliRunner().invoke(main, ["--data-dir", str(tmp_path / "inst"), *args], catch_exceptions=False)

    return run


def seed(session: Session):
    mini = make_exam(session)
    add_candidate(session, mini, "A", {"TWK": [0, 0], "TIU": [0, 1], "TKP": [0, 1]})  # 10+5+9 = 24
    add_candidate(session, mini, "D", {"TWK": [0, 1], "TIU": [0, 0], "TKP": [1, 1]})  # 5+10+8 = 23
    add_candidate(session, mini, "B", {"TWK": [0, 2], "TIU": [3, None], "TKP": [0, 0]})  # fails TIU
    add_candidate(session, mini, "C", None)  # absent
    session.commit()
    return mini


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_final_selection_by_hand(session: Session, cli, tmp_path: Path) -> None:
    seed(session)
    skb = write(tmp_path, "skb.csv", "participant_no,skb\nA,70\nD,95\n")
    assert cli("results", "import-skb", "--exam", "SKD-T", str(skb)).exit_code == 0
    res = cli("results", "final", "--exam", "SKD-T", "--json")
    assert res.exit_code == 0, res.output
    (f,) = json.loads(res.output)["formations"]
    # A: 24/30 → 80; 0.4×80 + 0.6×70 = 74.000.  D: 23/30 → 76.666…; 30.666… + 57 = 87.666… → 87.667
    assert f["ranking"] == [
        {"rank": 1, "participant_no": "D", "final": 87.667, "selected": True, "code": "P/L"},
        {"rank": 2, "participant_no": "A", "final": 74.0, "selected": False, "code": "P/TL"},
    ]
    session.expire_all()
    stored = {fr.code for fr in session.scalars(select(FinalResult))}
    assert stored == {"P/L", "P/TL"}
    # weights 50/50: D = (76.667 + 95)/2 = 85.833; A = (80 + 70)/2 = 75
    res = cli("results", "final", "--exam", "SKD-T", "--weights", "50/50", "--json")
    assert [r["final"] for r in json.loads(res.output)["formations"][0]["ranking"]] == [85.833, 75.0]


def test_skb_import_bad_rows_change_nothing(session: Session, cli, tmp_path: Path) -> None:
    seed(session)
    skb = write(tmp_path, "skb.csv", "participant_no,skb,status\nA,70,\nZ,80,\nD,120,\nB,,hadir\nC,,TH\n")
    res = cli("results", "import-skb", "--exam", "SKD-T", str(skb))
    assert res.exit_code == 2
    assert "row 3, column participant_no: Z is not a candidate of SKD-T" in res.output
    assert "row 4, column skb: 120 is above the maximum 100" in res.output
    assert "row 5, column skb: score is missing" in res.output
    assert session.scalars(select(SkbScore)).all() == []
    assert cli("results", "import-skb", "--exam", "NOPE", str(skb)).exit_code == 2


def test_absent_and_withdrawn_at_skb(session: Session, cli, tmp_path: Path) -> None:
    seed(session)
    skb = write(tmp_path, "skb.csv", "participant_no,skb,status\nA,,TH\nD,,APS\n")
    assert cli("results", "import-skb", "--exam", "SKD-T", str(skb)).exit_code == 0
    (f,) = json.loads(cli("results", "final", "--exam", "SKD-T", "--json").output)["formations"]
    assert {r["participant_no"]: r["code"] for r in f["ranking"]} == {"A": "TH", "D": "APS"}


def test_skb_from_an_exam_run_here(session: Session) -> None:
    skd = seed(session)
    skb = make_exam(session, "SKB-T")
    add_candidate(session, skb, "A", {"TWK": [0, 0], "TIU": [0, 0], "TKP": [0, 0]})  # 30 / 30
    add_candidate(session, skb, "D", None)  # invited, absent
    session.commit()
    assert skb_from_exam(session, skd.exam, skb.exam) == 2
    rows = {s.candidate_id: s for s in session.scalars(select(SkbScore))}
    a, d = rows[skd.candidates["A"].id], rows[skd.candidates["D"].id]
    assert (a.score, a.max_score, a.status, a.source) == (30, 30, "present", "exam:SKB-T")
    assert (d.score, d.status) == (None, "absent")
    with pytest.raises(ValueError, match="different exam"):
        skb_from_exam(session, skd.exam, skd.exam)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_skd_export_signed_and_tamper_caught(session: Session, cli, tmp_path: Path, fmt: str) -> None:
    seed(session)
    out = tmp_path / f"pengumuman.{fmt}"
    res = cli("results", "export", "--exam", "SKD-T", "--format", fmt, str(out))
    assert res.exit_code == 0, res.output
    assert cli("verify", str(out)).output.startswith("VALID")
    if fmt == "csv":
        lines = out.read_text().splitlines()
        assert lines[0].startswith("formation,quota,slots,no,rank,participant_no")
        assert [ln.split(",")[5] + ":" + ln.split(",")[-2] for ln in lines[1:]] == ["A:P/L", "D:P/L", "B:TL", "C:TH"]
    elif fmt == "xlsx":
        ws = load_workbook(out).active
        assert ws.cell(2, 6).value == "A" and ws.cell(2, 13).value == "P/L"
    else:
        assert out.read_bytes().startswith(b"%PDF")
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0x20
    out.write_bytes(bytes(data))
    res = cli("verify", str(out))
    assert res.exit_code == 1 and "the file changed" in res.output
    session.expire_all()
    codes = {r.candidate_id: r.code for r in session.scalars(select(Result))}
    assert sorted(codes.values()) == ["P/L", "P/L", "TL"]


def test_final_export_pdf_and_onboarding(session: Session, cli, tmp_path: Path) -> None:
    mini = seed(session)
    skb = write(tmp_path, "skb.csv", "participant_no,skb\nA,70\nD,95\n")
    assert cli("results", "import-skb", "--exam", "SKD-T", str(skb)).exit_code == 0
    out = tmp_path / "akhir.pdf"
    assert cli("results", "export", "--exam", "SKD-T", "--stage", "final", "--format", "pdf", str(out)).exit_code == 0
    assert cli("verify", str(out)).exit_code == 0
    res = cli("onboarding", "create", "--exam", "SKD-T", "--cohort", "LATSAR-1", "--starts", "2027-02-01",
              "--ends", "2027-03-15", "--mentor", "Ibu Sari")
    assert res.exit_code == 0 and "Created 1 onboarding record" in res.output
    assert "Created 0" in cli("onboarding", "create", "--exam", "SKD-T").output
    session.expire_all()
    (rec,) = session.scalars(select(OnboardingRecord)).all()
    d = mini.candidates["D"]
    result = session.scalar(select(Result).where(Result.candidate_id == d.id))
    final = session.scalar(select(FinalResult).where(FinalResult.candidate_id == d.id))
    assert (rec.candidate_id, rec.result_id, rec.final_result_id) == (d.id, result.id, final.id)
    assert rec.status == "awaiting_documents" and rec.mentor == "Ibu Sari"
    assert rec.milestones[1] == {"name": "orientation started", "due": "2027-02-01", "done_on": None}
    res = cli("onboarding", "status", "--exam", "SKD-T", "D", "in_orientation")
    assert res.exit_code == 0
    res = cli("onboarding", "status", "--exam", "SKD-T", "D", "retired")
    assert res.exit_code == 2 and "status must be one of" in res.output
    assert cli("onboarding", "status", "--exam", "SKD-T", "A", "completed").exit_code == 2
    res = cli("onboarding", "milestone", "--exam", "SKD-T", "D", "documents verified", "--on", "2027-01-20")
    assert res.exit_code == 0
    res = cli("onboarding", "milestone", "--exam", "SKD-T", "D", "graduation", "--on", "2027-01-20")
    assert res.exit_code == 2 and "no milestone 'graduation'" in res.output
    data = json.loads(cli("onboarding", "list", "--exam", "SKD-T", "--format", "json").output)
    (r,) = data["records"]
    assert (r["participant_no"], r["status"], r["cohort"], r["cohort_starts_on"]) == (
        "D", "in_orientation", "LATSAR-1", "2027-02-01")
    assert r["milestones"][0] == {"name": "documents verified", "due": None, "done_on": "2027-01-20"}
    assert r["final_score"] == 87.667 and r["final_rank"] == 1 and r["result_id"] == result.id
    csv_out = tmp_path / "onb.csv"
    assert cli("onboarding", "list", "--exam", "SKD-T", "--format", "csv", "--out", str(csv_out)).exit_code == 0
    assert "LATSAR-1" in csv_out.read_text() and cli("verify", str(csv_out)).exit_code == 0


def test_results_show_from_the_database(session: Session, cli) -> None:
    seed(session)
    (f,) = json.loads(cli("results", "show", "--exam", "SKD-T").output)["formations"]
    assert (f["formation"], f["quota"], f["slots"]) == ("Analis", 1, 3)
    assert [(r["participant_no"], r["rank"], r["total"], r["code"]) for r in f["ranking"]] == [
        ("A", 1, 24, "P/L"), ("D", 2, 23, "P/L"), ("B", None, 15, "TL"), ("C", None, None, "TH")]


def test_onboarding_before_final_is_a_clear_error(session: Session, cli) -> None:
    seed(session)
    res = cli("onboarding", "create", "--exam", "SKD-T")
    assert res.exit_code == 2 and "compute the final results first" in res.output


def test_annul_and_rescore_via_cli(session: Session, cli) -> None:
    mini = seed(session)
    v = mini.versions["TIU"][1].id
    res = cli("results", "annul", "--exam", "SKD-T", "--item-version", str(v), "--mode", "award",
              "--reason", "dua kunci jawaban")
    assert res.exit_code == 0, res.output
    assert "2 of 3 results changed" in res.output  # D unchanged; C absent (no paper)
    assert "B: 15 → 20" in res.output and "A: 24 → 29" in res.output
    res = cli("results", "rescore", "--exam", "SKD-T", "--reason", "check")
    assert "0 of 3 results changed" in res.output
    res = cli("results", "annul", "--exam", "SKD-T", "--item", "SKD-T-TWK-0", "--mode", "void", "--reason", "x")
    assert res.exit_code == 2


def test_export_format_and_file_name_refusals_speak_the_installation_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ground.tables import TableError
    from scoring.exports import write_final, write_onboarding, write_skd

    key = Ed25519PrivateKey.generate()
    monkeypatch.setenv("EXAM_LOCALE", "id")
    out = tmp_path / "out.xml"
    for write in (lambda: write_skd([], ["TWK"], "xml", out, key), lambda: write_final([], "xml", out, key),
                  lambda: write_onboarding([], "xml", out, key)):
        with pytest.raises(TableError, match=r"^format ekspor 'xml' tidak dikenal \(gunakan csv, xlsx, pdf\)$"):
            write()
    with pytest.raises(TableError, match=r"nama berkas harus berakhiran \.csv untuk --format csv$"):
        write_final([], "csv", tmp_path / "out.txt", key)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv("EXAM_LOCALE", "en")
    with pytest.raises(TableError, match=r"^unknown export format 'xml' \(use csv, xlsx, pdf\)$"):
        write_final([], "xml", tmp_path / "out.xml", key)
