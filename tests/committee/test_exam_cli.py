"""The committee's exam lifecycle from the command line: create (refused when the bank is short), issue, open."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from exam_engine.cli import main
from ground import db
from ground.config import Config
from ground.models import AuditEvent, Exam

SAMPLE = Path(__file__).resolve().parents[2] / "question_bank" / "samples" / "skd_demo.json"


def _run(data: Path, *args: str):  # type: ignore[no-untyped-def]
    env = {**{k: v for k, v in os.environ.items() if k != "EXAM_DATABASE_URL"}, "EXAM_LOCALE": "en"}
    return CliRunner(env=env).invoke(main, ["--data-dir", str(data), *args], catch_exceptions=False)


def test_exam_lifecycle_and_an_under_stocked_bank_refused_early(tmp_path: Path) -> None:
    data = tmp_path / "data"
    url = Config(data_dir=data).sqlalchemy_url

    short = _run(data, "exam", "create", "SKD-2026", "--preset", "skd")
    assert short.exit_code == 1
    for expected in ("The bank cannot fill this exam", "TWK", "TIU", "TKP"):
        assert expected in short.output, short.output
    with db.session_scope(url) as s:
        assert s.scalar(select(func.count()).select_from(Exam)) == 0, "nothing is created when refused"

    assert _run(data, "bank", "import", str(SAMPLE)).exit_code == 0
    still_short = _run(data, "exam", "create", "SKD-2026", "--preset", "skd")  # 30/35/45 items: more than 13/13/12
    assert still_short.exit_code == 1 and "TIU" in still_short.output
    ok = _run(data, "exam", "create", "SIM-1", "--preset", "skd_demo", "--grading", "skd-2024", "--title", "Simulasi")
    assert ok.exit_code == 0, ok.output
    assert "Created exam SIM-1 (Simulasi): 30 items, 30 minutes" in ok.output
    assert _run(data, "exam", "create", "SIM-1", "--preset", "skd_demo").output.count("exists already") == 1
    bad = _run(data, "exam", "create", "SIM-2", "--preset", "skd_demo", "--grading", "no-such-preset")
    assert bad.exit_code == 1 and "grading rules are not valid" in bad.output
    both = _run(data, "exam", "create", "SIM-3")
    assert both.exit_code == 2 and "exactly one of --blueprint" in both.output

    assert "The bank can fill every paper of SIM-1" in _run(data, "exam", "check", "SIM-1").output
    assert "Issued 0 papers" in _run(data, "exam", "issue", "SIM-1").output  # no candidates yet
    assert _run(data, "exam", "open", "SIM-1").exit_code == 2  # --by is required: the release is attributed
    opened = _run(data, "exam", "open", "SIM-1", "--by", "ketua-panitia")
    assert opened.exit_code == 0 and "is open" in opened.output
    assert _run(data, "exam", "open", "NOPE", "--by", "x").output.strip().endswith("No exam with code NOPE.")

    listing = json.loads(_run(data, "exam", "list", "--json").output)
    assert [(e["code"], e["state"], e["duration_s"]) for e in listing] == [("SIM-1", "open", 1800)]
    with db.session_scope(url) as s:
        exam = s.scalar(select(Exam).where(Exam.code == "SIM-1"))
        assert exam.data_key_wrapped is not None and exam.key_released_at is not None
        actions = [(a.action, a.actor) for a in s.scalars(select(AuditEvent).where(AuditEvent.exam_id == exam.id))]
    assert ("exam_created", "cli") in actions and ("exam_key_released", "staff:ketua-panitia") in actions


def test_data_dir_is_accepted_after_the_command_too(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("EXAM_DATABASE_URL", "EXAM_DATA_DIR")}
    out = CliRunner(env=env).invoke(main, ["init", "--data-dir", str(tmp_path / "after")], catch_exceptions=False)
    assert out.exit_code == 0 and (tmp_path / "after" / "exam.sqlite3").exists()
    demo = CliRunner(env=env).invoke(
        main, ["demo", "--seed-only", "--candidates", "2", "--data-dir", str(tmp_path / "demo")], catch_exceptions=False
    )
    assert demo.exit_code == 0, demo.output
    creds = json.loads((tmp_path / "demo" / "demo-credentials.json").read_text())
    assert len(creds["candidates"]) == 2 and creds["room_token"] and creds["staff"]
