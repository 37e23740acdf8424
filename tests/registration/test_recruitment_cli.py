"""``exam-engine recruitment …``: the committee defines a recruitment, its formations and documents from the shell;
refusals say why; a master key rotation (``bank rotate-key``) keeps every person readable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from exam_engine.cli import main
from ground import db
from ground.models import AuditEvent
from ground.models.registration import Formation, Recruitment, Requirement
from registration import people, retention
from tests.registration.factory import WOMAN, register


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, english: None) -> Iterator[Callable[..., Result]]:
    monkeypatch.delenv("EXAM_MASTER_KEY", raising=False)
    monkeypatch.delenv("EXAM_DATABASE_URL", raising=False)
    data_dir = tmp_path / "inst"

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, ["--data-dir", str(data_dir), *args], catch_exceptions=False)

    invoke.url = f"sqlite:///{data_dir / 'exam.sqlite3'}"  # type: ignore[attr-defined]
    yield invoke
    db.dispose_all()


def test_a_recruitment_from_the_shell(run: Callable[..., Result]) -> None:
    r = run("recruitment", "create", "CPNS-2026", "--name", "Seleksi CPNS 2026", "--opens", "2026-11-01T08:00+07:00",
            "--closes", "2026-12-31T23:59+07:00")
    assert r.exit_code == 0, r.output
    assert run("recruitment", "formation", "CPNS-2026", "PK-02", "--name", "Pranata Komputer", "--quota", "3",
               "--education", "S1 Informatika", "--path", "general", "--path", "cum_laude").exit_code == 0
    assert run("recruitment", "document", "CPNS-2026", "ijazah", "--name", "Ijazah", "--type", "pdf",
               "--max-kb", "500").exit_code == 0
    assert run("recruitment", "document", "CPNS-2026", "foto", "--name", "Pas foto", "--type", "jpeg",
               "--max-kb", "200").exit_code == 0
    with db.session_scope(run.url) as s:  # type: ignore[attr-defined]
        rec = s.scalar(select(Recruitment))
        assert (rec.code, rec.name, rec.opens_at.isoformat()) == ("CPNS-2026", "Seleksi CPNS 2026",
                                                                  "2026-11-01T01:00:00+00:00")
        f = s.scalar(select(Formation))
        assert (f.quota, f.education, f.entry_paths) == (3, "S1 Informatika", ["general", "cum_laude"])
        assert [(q.code, q.kinds, q.max_bytes) for q in s.scalars(select(Requirement).order_by(Requirement.id))] == [
            ("ijazah", ["pdf"], 500 * 1024), ("foto", ["jpeg"], 200 * 1024)]
        assert s.scalar(select(AuditEvent.actor).where(AuditEvent.action == "recruitment.created")).startswith("cli")

    again = run("recruitment", "create", "CPNS-2026", "--opens", "2026-11-01T08:00+07:00", "--closes",
                "2026-12-31T23:59+07:00")
    assert again.exit_code != 0 and "exists already" in again.output
    naive = run("recruitment", "create", "X", "--opens", "2026-11-01T08:00", "--closes", "2026-12-31T23:59+07:00")
    assert naive.exit_code != 0 and "ISO time" in naive.output
    empty = run("recruitment", "formation", "CPNS-2026", "AK", "--quota", "0")
    assert empty.exit_code != 0 and "at least 1" in empty.output
    gif = run("recruitment", "document", "CPNS-2026", "ktp", "--type", "gif", "--max-kb", "100")
    assert gif.exit_code != 0
    assert run("recruitment", "formation", "CPNS-2026", "PK-02", "--quota", "5", "--path", "general",
               "--update").exit_code == 0
    edited = run("recruitment", "edit", "CPNS-2026", "--closes", "2027-01-15T16:00+07:00", "--retain-until",
                 "2026-12-01T00:00+07:00")
    assert edited.exit_code != 0 and "at least until the registration closes" in edited.output
    assert run("recruitment", "edit", "CPNS-2026", "--closes", "2027-01-15T16:00+07:00", "--retain-until",
               "2028-01-15T00:00+07:00").exit_code == 0
    early = run("recruitment", "expire", "CPNS-2026", "--yes")
    assert early.exit_code != 0 and "has not passed" in early.output
    with db.session_scope(run.url) as s:  # type: ignore[attr-defined]
        rec = s.scalar(select(Recruitment))
        assert rec.closes_at.isoformat() == "2027-01-15T09:00:00+00:00" and rec.retain_until.year == 2028
        assert s.scalar(select(Formation).where(Formation.code == "PK-02")).quota == 5


def test_erasure_requests_from_the_shell(run: Callable[..., Result]) -> None:
    assert run("init").exit_code == 0
    with db.session_scope(run.url) as s:  # type: ignore[attr-defined]
        who = register(s, WOMAN, "siti@contoh.id")
    assert run("recruitment", "erase", str(who.person_id)).exit_code != 0  # nobody asked
    with db.session_scope(run.url) as s:  # type: ignore[attr-defined]
        retention.request_erasure(s, who)
    listed = run("recruitment", "erasures")
    assert listed.exit_code == 0 and listed.output.startswith(f"{who.person_id}\t")
    done = run("recruitment", "erase", str(who.person_id))
    assert done.exit_code == 0 and "Erased" in done.output, done.output
    assert run("recruitment", "erasures").output == ""
    again = run("recruitment", "erase", str(who.person_id))
    assert again.exit_code != 0 and "erased already" in again.output


def test_people_survive_a_master_key_rotation(run: Callable[..., Result]) -> None:
    assert run("init").exit_code == 0
    with db.session_scope(run.url) as s:  # type: ignore[attr-defined]
        who = register(s, WOMAN, "siti@contoh.id")
    rotated = run("bank", "rotate-key", "--yes")
    assert rotated.exit_code == 0, rotated.output
    with db.session_scope(run.url) as s:  # type: ignore[attr-defined]
        assert people.person_fields(s, who.person_id)["name"] == WOMAN[1]


def test_announcements_from_the_shell(run: Callable[..., Result], tmp_path: Path) -> None:
    assert run("recruitment", "create", "R", "--opens", "2026-11-01T08:00+07:00", "--closes",
               "2026-12-31T23:59+07:00").exit_code == 0
    out = tmp_path / "pengumuman"
    missing = run("recruitment", "announce", "R", "--stage", "result", "--out", str(out))
    assert missing.exit_code != 0 and "--objections-until" in missing.output
    early = run("recruitment", "announce", "R", "--stage", "final", "--out", str(out))
    assert early.exit_code != 0 and "Announce the MS/TMS result first." in early.output
    done = run("recruitment", "announce", "R", "--stage", "result", "--objections-until", "2099-01-01T00:00+07:00",
               "--out", str(out))
    assert done.exit_code == 0 and "0 applicants listed" in done.output
    for name in ("seleksi-R-result.csv", "seleksi-R-result.pdf"):  # signed like every announcement
        assert run("verify", str(out / name)).exit_code == 0
