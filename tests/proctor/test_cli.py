"""``exam-engine staff/room/candidates/cards``: checked whole, nothing half-done, PINs that log in, cards that print."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import func, select

from exam_engine.cli import main
from ground import db, keyring
from ground.config import Config
from ground.errors import AppError
from ground.models import Candidate, Exam, Paper, Room
from ground.models.staff import RoomAssignment, StaffUser
from ground.passwords import verify_password, verify_pin
from ground.staff.accounts import authenticate

HEADER = ["no_peserta", "nama", "tanggal_lahir", "formasi", "jalur", "sesi", "ruang"]


def _run(data: Path, *args: str, input: str | None = None):
    env = {**{k: v for k, v in os.environ.items() if k != "EXAM_DATABASE_URL"}, "EXAM_LOCALE": "en"}
    return CliRunner(env=env).invoke(main, ["--data-dir", str(data), *args], input=input, catch_exceptions=False)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A demo installation (exam DEMO-SKD with its bank), SQLite."""
    d = tmp_path / "data"
    from exam_engine.demo import seed_demo

    seed_demo(Config(data_dir=d), candidates=2)
    return d


def _url(data: Path) -> str:
    return Config(data_dir=data).sqlalchemy_url


def _write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def test_staff_add_assign_list_and_password(data: Path) -> None:
    pw = "long password 9"
    r = _run(data, "staff", "add", "pengawas9", "--role", "proctor", "--room", "DEMO-R1", "--password", pw)
    assert r.exit_code == 0, r.output
    with db.session_scope(_url(data)) as s:
        user = s.scalar(select(StaffUser).where(StaffUser.username == "pengawas9"))
        assert user.role == "proctor" and verify_password(user.password_hash, "long password 9")
        assert s.scalar(select(func.count()).select_from(RoomAssignment).where(RoomAssignment.staff_id == user.id)) == 1
    assert "pengawas9" in _run(data, "staff", "list").output
    bad = _run(data, "staff", "add", "pengawas9", "--role", "proctor", "--password", "long password 9")
    assert bad.exit_code != 0 and "taken" in bad.output
    weak = _run(data, "staff", "add", "other", "--role", "admin", "--password", "short")
    assert weak.exit_code != 0 and "10" in weak.output
    no_room = _run(data, "staff", "add", "other2", "--role", "proctor", "--room", "NOPE", "--password", pw)
    assert no_room.exit_code != 0 and "NOPE" in no_room.output
    with db.session_scope(_url(data)) as s:
        assert s.scalar(select(StaffUser.id).where(StaffUser.username == "other2")) is None, "refused whole"
    assert _run(data, "staff", "disable", "pengawas9").exit_code == 0
    assert "(inactive)" in _run(data, "staff", "list").output
    with db.session_scope(_url(data)) as s, pytest.raises(AppError) as err:
        authenticate(s, "pengawas9", pw)
    assert err.value.code == "bad_credentials"
    assert _run(data, "staff", "disable", "pengawas9", "--enable").exit_code == 0
    assert _run(data, "staff", "disable", "nobody").exit_code != 0
    assert _run(data, "staff", "password", "pengawas9", "--password", "another long one").exit_code == 0
    with db.session_scope(_url(data)) as s:
        user = s.scalar(select(StaffUser).where(StaffUser.username == "pengawas9"))
        assert verify_password(user.password_hash, "another long one") and user.session_epoch == 3


def test_room_add_and_list(data: Path) -> None:
    r = _run(data, "room", "add", "R7", "--exam", "DEMO-SKD", "--capacity", "2", "--start", "2026-12-01T08:00+07:00")
    assert r.exit_code == 0, r.output
    with db.session_scope(_url(data)) as s:
        room = s.scalar(select(Room).where(Room.code == "R7"))
        assert room.capacity == 2 and room.scheduled_start.hour == 1 and not room.is_open and len(room.token) == 6
    assert "R7" in _run(data, "room", "list").output
    assert _run(data, "room", "add", "R8", "--exam", "DEMO-SKD", "--start", "2026-12-01T08:00").exit_code != 0
    assert _run(data, "room", "add", "R7", "--exam", "DEMO-SKD").exit_code != 0
    assert _run(data, "room", "add", "R9", "--exam", "NOPE").exit_code != 0


def test_import_csv_issues_pins_papers_and_cards(data: Path, tmp_path: Path) -> None:
    src = _write_csv(tmp_path / "peserta.csv", [
        ["3171000001", "Budi Santoso", "1998-02-03", "Analis Kebijakan", "general", "1", "LAB-A"],
        ["3171000002", "Siti Aminah", "17-08-1999", "Auditor", "cum_laude", "1", "LAB-A"],
        ["3171000003", "Made Wirawan", "01/01/2000", "Auditor", "", "2", "LAB-A"],
    ])
    pins = tmp_path / "pins.csv"
    r = _run(data, "candidates", "import", str(src), "--exam", "DEMO-SKD", "--pins-out", str(pins), "--issue-papers")
    assert r.exit_code == 0, r.output
    assert "3" in r.output and "LAB-A-S1" in r.output
    assert oct(pins.stat().st_mode & 0o777) == "0o600"
    issued = list(csv.DictReader(pins.open()))
    assert [p["room_code"] for p in issued] == ["LAB-A-S1", "LAB-A-S1", "LAB-A-S2"]
    with db.session_scope(_url(data)) as s:
        for p in issued:
            cand = s.scalar(select(Candidate).where(Candidate.participant_no == p["participant_no"]))
            assert verify_pin(cand.pin_hash, p["pin"], pepper=keyring.pin_pepper_for(s)) and len(p["pin"]) == 6
            assert s.scalar(select(Paper.id).where(Paper.candidate_id == cand.id)) is not None
        siti = s.scalar(select(Candidate).where(Candidate.participant_no == "3171000002"))
        assert siti.birth_date.isoformat() == "1999-08-17" and siti.entry_path == "cum_laude"
        assert s.scalar(select(Room.name).where(Room.code == "LAB-A-S2")) == "LAB-A · Sesi 2"
    out = tmp_path / "cards"
    r = _run(data, "cards", str(pins), "--out", str(out))
    assert r.exit_code == 0, r.output
    pdfs = sorted(p.name for p in out.iterdir())
    assert pdfs == ["kartu-LAB-A-S1.pdf", "kartu-LAB-A-S2.pdf"]
    assert (out / "kartu-LAB-A-S1.pdf").read_bytes().startswith(b"%PDF")
    bogus = _write_csv(tmp_path / "bogus.csv", [["x"]], header=["something"])
    assert _run(data, "cards", str(bogus), "--out", str(out)).exit_code != 0


def test_import_xlsx(data: Path, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["participant_no", "name", "birth_date", "formation", "entry_path", "session", "room"])
    ws.append(["4000000001", "Ani", "1997-05-05", "Pranata Komputer", "general", "1", "LAB-B"])
    wb.save(tmp_path / "peserta.xlsx")
    r = _run(data, "candidates", "import", str(tmp_path / "peserta.xlsx"), "--exam", "DEMO-SKD",
             "--pins-out", str(tmp_path / "p.csv"))
    assert r.exit_code == 0, r.output
    with db.session_scope(_url(data)) as s:
        assert s.scalar(select(Candidate.name).where(Candidate.participant_no == "4000000001")) == "Ani"


def test_a_bad_file_is_refused_whole_with_problems_by_line(data: Path, tmp_path: Path) -> None:
    _run(data, "room", "add", "SMALL", "--exam", "DEMO-SKD", "--capacity", "1")
    with db.session_scope(_url(data)) as s:
        before = s.scalar(select(func.count()).select_from(Candidate)), s.scalar(select(func.count()).select_from(Room))
    src = _write_csv(tmp_path / "bad.csv", [
        ["5000000001", "Good Row", "1998-01-01", "F", "general", "1", "LAB-C"],
        ["5000000001", "Repeat", "1998-01-01", "F", "general", "1", "LAB-C"],
        ["2026000001", "Already in the demo", "1998-01-01", "F", "general", "1", "LAB-C"],
        ["x", "", "31-31-1998", "F", "General Path!", "1", "LAB-C"],
        ["5000000002", "One", "1998-01-01", "F", "general", "", "SMALL"],
        ["5000000003", "Two", "1998-01-01", "F", "general", "", "SMALL"],
    ])
    pins = tmp_path / "pins.csv"
    r = _run(data, "candidates", "import", str(src), "--exam", "DEMO-SKD", "--pins-out", str(pins))
    assert r.exit_code != 0
    for expected in ("line 3", "repeats line 2", "line 4", "already registered", "line 5", "birth date",
                     "entry path", "name is missing", "SMALL holds 1", "Nothing was imported"):
        assert expected in r.output, (expected, r.output)
    assert "line 2:" not in r.output, "the good row has no problem"
    with db.session_scope(_url(data)) as s:
        after = s.scalar(select(func.count()).select_from(Candidate)), s.scalar(select(func.count()).select_from(Room))
        assert after == before and s.scalar(select(Exam.id)) is not None
    assert not pins.exists()
    missing = _write_csv(tmp_path / "cols.csv", [["1", "2"]], header=["no_peserta", "nama"])
    r = _run(data, "candidates", "import", str(missing), "--exam", "DEMO-SKD")
    assert r.exit_code != 0 and "Missing column: birth_date" in r.output and "Missing column: room" in r.output
    other = tmp_path / "x.txt"
    other.write_text("hello")
    assert ".csv or .xlsx" in _run(data, "candidates", "import", str(other), "--exam", "DEMO-SKD").output
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "empty" in _run(data, "candidates", "import", str(empty), "--exam", "DEMO-SKD").output


def test_problems_name_the_real_line_even_after_blank_lines_and_odd_files_are_refused(data: Path,
                                                                                       tmp_path: Path) -> None:
    src = tmp_path / "gaps.csv"
    src.write_text(
        "no_peserta;nama;tanggal_lahir;ruang\n"
        "6000000001;Ani;1998-01-01;LAB-D\n"
        "\n"
        ";;;\n"
        "6000000002;Budi;1998-13-45;LAB-D\n",  # line 5 of the file, after two blank lines
        encoding="utf-8",
    )
    r = _run(data, "candidates", "import", str(src), "--exam", "DEMO-SKD")
    assert r.exit_code != 0 and "line 5: birth date '1998-13-45'" in r.output, r.output
    latin = tmp_path / "latin.csv"
    latin.write_bytes("no_peserta,nama\n1,Andr\xe9\n".encode("latin-1"))
    r = _run(data, "candidates", "import", str(latin), "--exam", "DEMO-SKD")
    assert r.exit_code != 0 and "not UTF-8" in r.output and "Traceback" not in r.output, r.output


def test_accommodations_come_from_the_import_and_bad_ones_are_named_at_their_line(data: Path, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append([*HEADER, "Tambahan Waktu", "teks_besar", "kontras_tinggi"])
    ws.append(["6000000001", "Tunanetra", "1997-05-05", "Analis", "disabilitas", "1", "LAB-D", 30, "ya", "Ya"])
    ws.append(["6000000002", "Biasa", "1997-05-06", "Analis", "general", "1", "LAB-D", None, "", "tidak"])
    ws.append(["6000000003", "Low vision", "1997-05-07", "Analis", "general", "1", "LAB-D", "15", "yes", "no"])
    wb.save(tmp_path / "akomodasi.xlsx")
    r = _run(data, "candidates", "import", str(tmp_path / "akomodasi.xlsx"), "--exam", "DEMO-SKD",
             "--pins-out", str(tmp_path / "p.csv"))
    assert r.exit_code == 0, r.output
    with db.session_scope(_url(data)) as s:
        got = {c.participant_no: (c.extra_time_s, c.large_text, c.high_contrast)
               for c in s.scalars(select(Candidate).where(Candidate.participant_no.like("6%")))}
    assert got == {"6000000001": (1800, True, True), "6000000002": (0, False, False),
                   "6000000003": (900, True, False)}

    src = _write_csv(tmp_path / "bad.csv", [
        ["7000000001", "Good", "1998-01-01", "F", "general", "1", "LAB-E", "10", "", "ya"],
        ["7000000002", "Minus", "1998-01-01", "F", "general", "1", "LAB-E", "-5", "", ""],
        ["7000000003", "Too long", "1998-01-01", "F", "general", "1", "LAB-E", "300", "mungkin", ""],
        ["7000000004", "Both", "1998-01-01", "F", "general", "1", "LAB-E", "10", "", "2"],
    ], header=[*HEADER, "tambahan_waktu", "teks_besar", "kontras_tinggi"])
    r = _run(data, "candidates", "import", str(src), "--exam", "DEMO-SKD")
    assert r.exit_code != 0
    for expected in ("line 3: extra time '-5'", "line 4: extra time '300'", "line 4: teks_besar 'mungkin' is not",
                     "line 5: kontras_tinggi '2' is not", "Nothing was imported"):
        assert expected in r.output, (expected, r.output)
    assert "line 2:" not in r.output
    both = _write_csv(tmp_path / "both.csv", [["7000000005", "Both", "1998-01-01", "F", "general", "1", "LAB-E", "1",
                                               "60"]], header=[*HEADER, "extra_time_min", "extra_time_s"])
    twice = _run(data, "candidates", "import", str(both), "--exam", "DEMO-SKD")
    assert "line 2: extra time is given both in minutes and in seconds" in twice.output, twice.output
    env = {**{k: v for k, v in os.environ.items() if k != "EXAM_DATABASE_URL"}, "EXAM_LOCALE": "id"}
    in_id = CliRunner(env=env).invoke(main, ["--data-dir", str(data), "candidates", "import", str(src), "--exam",
                                             "DEMO-SKD"], catch_exceptions=False)
    assert "tambahan waktu '-5' bukan bilangan bulat menit" in in_id.output, in_id.output
    with db.session_scope(_url(data)) as s:
        assert s.scalar(select(func.count()).select_from(Candidate).where(Candidate.participant_no.like("7%"))) == 0
