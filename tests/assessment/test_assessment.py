"""Issue 18 without a browser: the NIP's structural checks, a staff import refused at its line, a programme with two
sittings a year apart on the real demo bank (each person's history, the unit report, who is due by the clock), the
signed individual and unit reports verified, and the practice review: allowed after a practice sitting, refused for a
selection exam."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from assessment import history, nip, programmes, reports, sittings, staff
from candidate.review import review
from exam_engine.demo import DEMO_EXAM, seed_demo
from ground import clock, db, tables
from ground.config import Config
from ground.crypto import load_master_key, load_signing_key
from ground.errors import AppError
from ground.models import AuditEvent, Exam, Paper
from ground.models.assessment import AssessmentSeat, StaffMember
from scoring.presets import RulesError
from scoring.signing import verify_file
from scoring.store.analysis import analyse_exam
from scoring.store.announcement import export_skd
from tests.assessment.helpers import nip as make_nip
from tests.assessment.helpers import sit, staff_csv

pytestmark = pytest.mark.usefixtures("english")
COMPETENCIES = "TEK; Teknis; TIU; 25\nMAN; Manajerial; TKP; 35\nSOS; Sosial kultural; TWK; 25"


def test_a_nip_is_checked_for_what_it_encodes() -> None:
    good = nip.parse("19850315 201001 1 001", date(2026, 12, 1))
    assert good.birth_date == date(1985, 3, 15) and good.appointed == (2010, 1) and good.sex == "M"
    bad = {
        "1985031520100110": "exactly 18 digits",
        "198513152010011001": "real date of birth",
        "198502302010011001": "real date of birth",
        "198503152010131001": "appointment month",
        "198503151995011001": "cannot follow a birth",
        "198503152030011001": "cannot follow a birth",  # appointed in the future
        "198503152010013001": "sex digit",
        "198503152010011000": "serial number",
    }
    for raw, why in bad.items():
        with pytest.raises(nip.NipError, match=why):
            nip.parse(raw, date(2026, 12, 1))
    assert nip.parse(make_nip(7, 2)).sex == "F"


def test_a_staff_file_is_refused_at_its_bad_line(tmp_path: Path) -> None:
    with pytest.raises(staff.StaffImportError) as err:
        staff.check(tables.read_table(staff_csv(tmp_path / "a.csv", 5, bad_line=4)))
    assert [line for line, _msg in err.value.problems] == [4]
    assert "NIP '198713" in err.value.problems[0][1] and "real date of birth" in err.value.problems[0][1]
    assert len(staff.check(tables.read_table(staff_csv(tmp_path / "b.csv", 5)))) == 5


@pytest.fixture
def demo(db_url: str, tmp_path: Path) -> Config:
    """The demo (its sample bank fills the skd_demo blueprint) on SQLite, and on PostgreSQL when configured."""
    clock.freeze(clock.parse_iso("2025-11-03T01:00:00+00:00"))
    config = Config(data_dir=tmp_path, database_url=db_url)
    seed_demo(config, candidates=3)
    return config


def test_two_sittings_a_year_apart_history_reports_and_due(demo: Config, tmp_path: Path) -> None:
    url, key, master = demo.sqlalchemy_url, load_signing_key(demo.data_dir), load_master_key(demo.data_dir)
    with db.session_scope(url) as s:
        with pytest.raises(AppError, match="no subtest XYZ"):
            programmes.create(s, code="P", name="P", blueprint="skd_demo", competencies_text="A; a; XYZ; 1",
                              actor="t")
        p = programmes.create(s, code="AK-2025", name="Asesmen Kompetensi", blueprint="skd_demo",
                              competencies_text=COMPETENCIES, units="Biro Umum, Biro Keuangan", period_months=12,
                              actor="staff:ketua")
        assert staff.import_rows(s, p, staff.check(tables.read_table(staff_csv(tmp_path / "s.csv", 78))), "t") == 78
        exam, issued = sittings.create(s, p, "AK-2025-1", "ASN-R1", master, actor="staff:ketua")
        assert len(issued) == 52  # the Inspektorat is outside the target group (50 papers: enough for a 2PL fit)
        ids = {m.id: m for m in s.scalars(select(StaffMember))}
        seats = {seat.staff_id: seat.candidate_id for seat in s.scalars(select(AssessmentSeat))}
    first = min(seats)
    assert sit(url, "AK-2025-1", key, {seats[first]: 0.2}) == 52
    with db.session_scope(url) as s:
        assert [e["calibrated"] for e in history.entries(s, first)] == [False]  # no calibration yet: raw scores only
    analyse_exam(url, "AK-2025-1")  # the item analysis stores the 2PL parameters: the programme's common scale
    clock.advance(timedelta(days=365))
    with db.session_scope(url) as s:
        sittings.create(s, programmes.by_code(s, "AK-2025"), "AK-2026-1", "ASN-R2", master, actor="staff:ketua")
        seats2 = {seat.staff_id: seat.candidate_id for seat in s.scalars(
            select(AssessmentSeat).where(AssessmentSeat.candidate_id.not_in(list(seats.values()))))}
    last = max(seats2)
    assert sit(url, "AK-2026-1", key, {seats2[first]: 1.0}, absent={seats2[last]}) == 51

    with db.session_scope(url) as s:
        h = history.person(s, first)
        assert h["person"]["nip"] == make_nip(first - min(ids), 1 + (first - min(ids)) % 2)
        assert [e["exam"] for e in h["sittings"]] == ["AK-2025-1", "AK-2026-1"]
        assert [s_["code"] for s_ in h["sittings"][1]["scores"]] == ["TEK", "MAN", "SOS"]
        tek = [e["scores"][0]["score"] for e in h["sittings"]]
        assert tek[1] == 50 and tek[0] < tek[1]  # all TIU right in the second year
        assert h["sittings"][1]["scores"][0]["met"] is True
        assert len(h["trend"]["TEK"]["points"]) == 2
        # the ability next to the raw score, for the right/wrong subtests (TIU, TWK), on the first sitting's scale
        for e in h["sittings"]:
            tek_, man_ = e["scores"][0], e["scores"][1]
            assert tek_["theta"] is not None and 0 < tek_["se"] < 2 and man_["theta"] is None  # TKP has no 2PL
        assert h["sittings"][1]["scores"][0]["theta"] > h["sittings"][0]["scores"][0]["theta"]

        clock.advance(timedelta(days=300))  # not yet a year after the second sitting: only the absent one is due
        report = reports.unit_report(s, programmes.by_code(s, "AK-2025"), "")
        assert [r["id"] for r in report["due"]] == [last]
        assert report["labels"] == ["2025-11-03 WIB", "2026-11-03 WIB"]
        tek_c = report["competencies"][0]
        assert tek_c["n"] == 51 and tek_c["gap"] == round(tek_c["mean"] - 25, 2) and len(tek_c["means"]) == 2
        clock.advance(timedelta(days=70))  # past the period: everyone
        assert len(reports.unit_report(s, programmes.by_code(s, "AK-2025"), "")["due"]) == 52
        charts = reports.unit_charts(report)
        assert charts["trend"].startswith("<svg") and "Teknis" in charts["trend"] and "TEK" in charts
        assert "<polyline" in reports.person_chart(h)

        pdf = tmp_path / "orang.pdf"
        assert verify_file(pdf, key.public_key(), reports.write_person(s, first, pdf, key, zone="WIB", actor="t"))
        sheet = tmp_path / "unit.csv"
        reports.write_unit(s, programmes.by_code(s, "AK-2025"), "Biro Umum", "csv", sheet, key, zone="WIB",
                           actor="t")
        assert verify_file(sheet, key.public_key()).key_id
        rows = list(csv.reader(sheet.open(encoding="utf-8")))
        assert rows[0][4:7] == ["TEK", "MAN", "SOS"] and {r[2] for r in rows[1:]} == {"Biro Umum"}
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "assessment.unit_report_signed")) is not None
        # personal fields are sealed: no NIP and no name in the staff table
        raw = b"".join(bytes(m.sealed) for m in s.scalars(select(StaffMember)))
        assert make_nip(0).encode() not in raw and b"Pegawai" not in raw


def test_review_only_after_a_practice_sitting(demo: Config, tmp_path: Path) -> None:
    url, key, master = demo.sqlalchemy_url, load_signing_key(demo.data_dir), load_master_key(demo.data_dir)
    with db.session_scope(url) as s:
        p = programmes.create(s, code="TRY", name="Tryout", blueprint="skd_demo", competencies_text=COMPETENCIES,
                              practice=True, actor="t")
        staff.import_rows(s, p, staff.check(tables.read_table(staff_csv(tmp_path / "s.csv", 2))), "t")
        sittings.create(s, p, "TRY-1", "TRY-R1", master, actor="t")
    with db.session_scope(url) as s:
        paper = s.scalars(select(Paper).join(Exam).where(Exam.code == "TRY-1")).first()
        with pytest.raises(AppError, match="once your paper is finished"):
            review(s, paper)
    sit(url, "TRY-1", key, {})
    sit(url, DEMO_EXAM, key, {})
    with db.session_scope(url) as s:
        paper = s.scalars(select(Paper).join(Exam).where(Exam.code == "TRY-1")).first()
        shown = review(s, paper)
        assert len(shown["questions"]) == 30 and shown["ranked"] is False
        assert any(q["explanation"] for q in shown["questions"])
        assert all(sum(o["chosen"] for o in q["options"]) == 1 for q in shown["questions"])
        with pytest.raises(RulesError, match="practice exam: it has no ranking"):  # a tryout ranks nobody
            export_skd(s, s.scalar(select(Exam).where(Exam.code == "TRY-1")), "csv", tmp_path / "x.csv", key, "WIB")
        selection = s.scalars(select(Paper).join(Exam).where(Exam.code == DEMO_EXAM)).first()
        with pytest.raises(AppError, match="allows no review") as refused:
            review(s, selection)
        assert refused.value.status == 403


def test_a_person_of_the_records_invited_carries_their_onboarding_milestones(demo: Config) -> None:
    """Someone who came in through this installation's own selection: invited from the person records (name and birth
    date from the sealed record), their history shows the onboarding milestones of their selection."""
    from ground.models import Candidate
    from ground.models.registration import Application, Recruitment
    from ground.models.scoring import OnboardingRecord
    from tests.registration.factory import WOMAN, make_recruitment, register

    url = demo.sqlalchemy_url
    with db.session_scope(url) as s:
        make_recruitment(s)
        applicant = register(s)
        cand = s.scalars(select(Candidate).join(Exam).where(Exam.code == DEMO_EXAM)).first()
        rec = s.scalar(select(Recruitment))
        s.add(Application(recruitment_id=rec.id, person_id=applicant.person_id, number="R-1", state="submitted",
                          result="MS", candidate_id=cand.id, created_at=clock.now()))
        s.add(OnboardingRecord(exam_id=cand.exam_id, candidate_id=cand.id, formation="Analis SDM", unit="Biro Umum",
                               status="in_orientation", created_at=clock.now(), updated_at=clock.now(),
                               milestones=[{"name": "Latsar", "due": None, "done_on": "2025-10-01"},
                                           {"name": "SK PNS", "due": None, "done_on": None}]))
        p = programmes.create(s, code="AK", name="AK", blueprint="skd_demo", competencies_text=COMPETENCIES,
                              actor="t")
        assert [c["name"] for c in staff.people_choices(s)] == [WOMAN[1]]
        assert staff.invite_people(s, p, [applicant.person_id], "Biro Umum", "Analis SDM", "staff:ketua") == 1
        assert staff.invite_people(s, p, [applicant.person_id], "Biro Umum", "Analis SDM", "staff:ketua") == 0
        member = s.scalar(select(StaffMember))
        h = history.person(s, member.id)
        assert h["person"]["name"] == WOMAN[1] and h["person"]["birth_date"] == WOMAN[2].isoformat()
        assert h["sittings"] == [] and h["onboarding"][0]["status"] == "in_orientation"
        assert [m["done_on"] for m in h["onboarding"][0]["milestones"]] == ["2025-10-01", None]
        _exam, issued = sittings.create(s, p, "AK-1", "AK-R1", load_master_key(demo.data_dir), actor="t")
        assert [i.name for i in issued] == [WOMAN[1]]


def test_the_commands(tmp_path: Path) -> None:
    """``exam-engine assessment create|import|sitting|report``: the console's functions; a bad line named."""
    from click.testing import CliRunner

    from exam_engine.cli import main

    config = Config(data_dir=tmp_path / "inst")
    seed_demo(config, candidates=2)

    def run(*args: str, ok: bool = True) -> str:
        res = CliRunner().invoke(main, ["--data-dir", str(config.data_dir), "assessment", *args])
        assert (res.exit_code == 0) == ok, res.output
        return res.output

    run("create", "AK", "--name", "Asesmen", "--blueprint", "skd_demo", "--competency", "TEK; Teknis; TIU; 25",
        "--units", "Biro Umum")
    assert "line 3: NIP" in run("import", "AK", str(staff_csv(tmp_path / "bad.csv", 4, bad_line=3)), ok=False)
    assert "4 staff read, 4 newly invited." in run("import", "AK", str(staff_csv(tmp_path / "ok.csv", 4)))
    pins = tmp_path / "pins.csv"
    assert "2 candidates added" in run("sitting", "AK", "AK-1", "--room", "R1", "--pins", str(pins))
    assert (pins.stat().st_mode & 0o777) == 0o600
    out = tmp_path / "unit.xlsx"
    run("report", "AK", "--unit", "Biro Umum", "--format", "xlsx", "--out", str(out))
    assert verify_file(out, load_signing_key(config.data_dir).public_key()).key_id


def test_a_sitting_outside_the_programmes_windows_is_refused(demo: Config, tmp_path: Path) -> None:
    """The windows are days as the site reads them: 2025-11-03 01:00 UTC is 08:00 WIB but 10:00 WIT on the same day;
    at 20:00 UTC it is already the 4th in every zone. A refused sitting leaves no exam behind."""
    url, master = demo.sqlalchemy_url, load_master_key(demo.data_dir)
    with db.session_scope(url) as s:
        p = programmes.create(s, code="W", name="Windowed", blueprint="skd_demo", competencies_text=COMPETENCIES,
                              windows="2025-11-04 2025-11-30\n2026-11-02 2026-11-27", actor="t")
        staff.import_rows(s, p, staff.check(tables.read_table(staff_csv(tmp_path / "s.csv", 6))), "t")
    with db.session_scope(url) as s, pytest.raises(AppError) as refused:
        sittings.create(s, programmes.by_code(s, "W"), "W-1", "W-R1", master, zone="WIT", actor="t")
    assert refused.value.code == "outside_window" and refused.value.status == 409
    assert "2025-11-03" in refused.value.message and "2025-11-04 – 2025-11-30" in refused.value.message
    with db.session_scope(url) as s:
        assert s.scalar(select(Exam.id).where(Exam.code == "W-1")) is None
    clock.advance(timedelta(hours=19))  # 2025-11-03 20:00 UTC: the 4th in WIB
    with db.session_scope(url) as s:
        exam, issued = sittings.create(s, programmes.by_code(s, "W"), "W-1", "W-R1", master, zone="WIB", actor="t")
        assert exam.code == "W-1" and issued
