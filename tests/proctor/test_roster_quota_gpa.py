"""``candidates import`` reads the formation quota (kuota), the GPA (ipk) and entry paths as scoring spells them."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from ground import db
from ground.models import Candidate
from tests.proctor.test_cli import _run, _url, data  # noqa: F401 - the demo installation fixture

HEADER = ["no_peserta", "nama", "tanggal_lahir", "formasi", "kuota", "ipk", "jalur", "sesi", "ruang"]


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def test_quota_gpa_and_cum_laude_are_imported(data: Path, tmp_path: Path) -> None:  # noqa: F811
    src = _csv(tmp_path / "p.csv", [
        ["5000000001", "Rina", "1998-01-01", "Auditor", "2", "3,75", "Cum Laude", "1", "LAB-Q"],
        ["5000000002", "Joko", "1997-01-01", "Auditor", "2.0", "", "umum", "1", "LAB-Q"],
        ["5000000003", "Ayu", "1996-01-01", "Pranata", "", "3.1", "", "1", "LAB-Q"],
    ])
    r = _run(data, "candidates", "import", str(src), "--exam", "DEMO-SKD", "--pins-out", str(tmp_path / "pins.csv"))
    assert r.exit_code == 0, r.output
    with db.session_scope(_url(data)) as s:
        got = {c.participant_no: (c.formation_quota, c.gpa, c.entry_path)
               for c in s.scalars(select(Candidate).where(Candidate.participant_no.like("50000000%")))}
    assert got == {"5000000001": (2, 3.75, "cum_laude"), "5000000002": (2, None, "general"),
                   "5000000003": (None, 3.1, "general")}


def test_bad_quota_and_gpa_are_refused_by_line_and_nothing_is_added(data: Path, tmp_path: Path) -> None:  # noqa: F811
    src = _csv(tmp_path / "p.csv", [
        ["6000000001", "Rina", "1998-01-01", "Auditor", "dua", "5", "general", "1", "LAB-Q"],
        ["6000000002", "Joko", "1997-01-01", "Auditor", "2", "", "general", "1", "LAB-Q"],
        ["6000000003", "Ayu", "1996-01-01", "Auditor", "3", "", "general", "1", "LAB-Q"],
    ])
    r = _run(data, "candidates", "import", str(src), "--exam", "DEMO-SKD", "--pins-out", str(tmp_path / "pins.csv"))
    assert r.exit_code != 0
    assert "quota 'dua' is not a whole number" in r.output and "GPA '5' is not a number from 0 to 4" in r.output
    assert "quota 3 differs from 2 on line 3" in r.output
    with db.session_scope(_url(data)) as s:
        assert s.scalar(select(Candidate).where(Candidate.participant_no.like("60000000%"))) is None
