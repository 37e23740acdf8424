"""The commands the console's new pages share their functions with: room add --zone, staff unassign, candidates move,
attendance (the same audit rows as the pages, under the OS account)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from exam_engine.cli import main
from ground import db
from ground.config import Config
from ground.models import AuditEvent, Candidate, Room
from ground.models.staff import RoomAssignment


def run(data: Path, *args: str, ok: bool = True) -> str:
    env = {**{k: v for k, v in os.environ.items() if k != "EXAM_DATABASE_URL"}, "EXAM_LOCALE": "en"}
    result = CliRunner(env=env).invoke(main, ["--data-dir", str(data), *args], catch_exceptions=False)
    assert (result.exit_code == 0) == ok, result.output
    return result.output


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A demo installation: exam DEMO-SKD, room DEMO-R1 with two candidates and its proctor."""
    from exam_engine.demo import seed_demo

    d = tmp_path / "data"
    seed_demo(Config(data_dir=d), candidates=2)
    return d


def test_room_zone_move_unassign_and_attendance(data: Path) -> None:
    url = Config(data_dir=data).sqlalchemy_url
    run(data, "room", "add", "MAK-S2", "--exam", "DEMO-SKD", "--start", "2026-12-01T13:00+08:00", "--zone", "WITA")
    with db.session_scope(url) as s:
        room = s.scalar(select(Room).where(Room.code == "MAK-S2"))
        assert room.zone == "WITA" and room.scheduled_start.strftime("%H:%M") == "05:00"
        number = s.scalar(select(Candidate.participant_no).order_by(Candidate.id))
        proctor = s.scalar(select(RoomAssignment.staff_id))
    run(data, "candidates", "move", number, "--exam", "DEMO-SKD", "--room", "MAK-S2", "--reason", "pindah lokasi")
    out = run(data, "candidates", "move", number, "--exam", "DEMO-SKD", "--room", "MAK-S2", "--reason", "x", ok=False)
    assert "already sits in room MAK-S2" in out
    pdf = data / "hadir.pdf"
    run(data, "attendance", "MAK-S2", "--out", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF") and oct(pdf.stat().st_mode & 0o777) == "0o600"
    with db.session_scope(url) as s:
        moved = s.scalars(select(AuditEvent).where(AuditEvent.action == "candidate.moved")).one()
        assert moved.actor.startswith("cli") and moved.reason == "pindah lokasi"
        created = s.scalars(select(AuditEvent).where(AuditEvent.action == "room.created")).all()
        assert created[-1].actor.startswith("cli")
    staff = json.loads((data / "demo-credentials.json").read_text())["staff"]
    run(data, "staff", "unassign", next(u["username"] for u in staff if u["role"] == "proctor"), "DEMO-R1")
    with db.session_scope(url) as s:
        assert s.scalar(select(RoomAssignment.id).where(RoomAssignment.staff_id == proctor)) is None
        unassigned = s.scalars(select(AuditEvent.actor).where(AuditEvent.action == "staff.unassigned")).one()
        assert unassigned.startswith("cli")


def test_session_add_room_open_close_list(data: Path) -> None:
    url = Config(data_dir=data).sqlalchemy_url
    run(data, "session", "add", "S2", "--exam", "DEMO-SKD", "--site", "Jayapura", "--zone", "WIT",
        "--start", "2026-12-01T10:00")
    out = run(data, "session", "add", "S2", "--exam", "DEMO-SKD", "--site", "X", "--start", "2026-12-01T10:00",
              ok=False)
    assert "has a session S2 already" in out
    out = run(data, "session", "open", "S2", "--exam", "DEMO-SKD", ok=False)
    assert "has no rooms yet" in out
    run(data, "room", "add", "JAY-1", "--exam", "DEMO-SKD", "--capacity", "30", "--session", "S2")
    run(data, "session", "open", "S2", "--exam", "DEMO-SKD")
    listing = run(data, "session", "list", "--exam", "DEMO-SKD")
    assert "S2\t2026-12-01 10:00 WIT\tJayapura\topen\tJAY-1" in listing
    run(data, "session", "close", "S2", "--exam", "DEMO-SKD")
    with db.session_scope(url) as s:
        room = s.scalar(select(Room).where(Room.code == "JAY-1"))
        assert room.zone == "WIT" and room.scheduled_start.strftime("%H:%M") == "01:00" and not room.is_open
        acts = list(s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("session.%"))
                              .order_by(AuditEvent.id)))
        assert acts == ["session.created", "session.opened", "session.closed"]


def test_recruitment_export_takes_rooms_or_the_sites(data: Path) -> None:
    out = run(data, "recruitment", "export", "CPNS-X", "--exam", "DEMO-SKD", "--pins", str(data / "p.csv"), ok=False)
    assert "Give either --room or --by-site" in out
    out = run(data, "recruitment", "export", "CPNS-X", "--exam", "DEMO-SKD", "--room", "DEMO-R1", "--by-site",
              "--pins", str(data / "p.csv"), ok=False)
    assert "Give either --room or --by-site" in out
