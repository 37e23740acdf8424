"""Seed a demo installation: the sample SKD bank, one open room, N candidates with PINs, papers issued."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select

from candidate.exams import create_exam
from candidate.papers import issue_papers, release_exam
from ground import clock, db
from ground.config import Config, write_private
from ground.crypto import load_master_key, load_pin_pepper
from ground.models import Candidate, Exam, Room
from ground.passwords import hash_pin, new_pin, new_room_token
from question_bank.blueprint import load_preset
from question_bank.formats.json_format import read_json
from question_bank.store import import_items

DEMO_EXAM = "DEMO-SKD"
SAMPLE_BANK = Path(__file__).resolve().parent.parent / "question_bank" / "samples" / "skd_demo.json"
# The demo paper is a third of an SKD paper, so its passing grades are scaled to it.
DEMO_GRADING: dict[str, Any] = {
    "name": "skd-demo",
    "subtests": {"TWK": {"min": 25, "max": 50}, "TIU": {"min": 30, "max": 50}, "TKP": {"min": 35, "max": 50}},
    "tie_break": ["TKP", "TIU", "TWK"],
}
FORMATIONS = ["Analis Kebijakan — Dinas Pendidikan", "Pranata Komputer — Diskominfo", "Auditor — Inspektorat"]


def credentials_path(config: Config) -> Path:
    """Where the demo's logins are written for people and load tests."""
    return config.data_dir / "demo-credentials.json"


def seed_demo(config: Config, candidates: int = 20, url: str = "http://127.0.0.1:5000") -> dict[str, Any]:
    """Create the demo once in ``config.data_dir``; later calls return the credentials already written."""
    config.ensure_data_dir()
    db.upgrade(config.sqlalchemy_url)
    path = credentials_path(config)
    with db.session_scope(config.sqlalchemy_url) as session:
        existing = session.scalar(select(Exam).where(Exam.code == DEMO_EXAM))
        if existing is not None and path.exists():
            creds = json.loads(path.read_text())
            creds["url"] = url
            write_private(path, json.dumps(creds, indent=2, ensure_ascii=False).encode("utf-8"))
            return creds
        if existing is not None:
            raise RuntimeError(f"{config.data_dir} holds a demo without {path.name}; use an empty --data-dir")

        parsed = read_json(SAMPLE_BANK.read_bytes(), SAMPLE_BANK.name)
        if parsed.problems:
            raise RuntimeError(f"sample bank has problems: {parsed.problems}")
        import_items(session, parsed.items)
        bp = load_preset("skd_demo")
        now = clock.now()
        master = load_master_key(config.data_dir)
        exam = create_exam(session, DEMO_EXAM, "Simulasi SKD CPNS — Demo", bp, master, grading=DEMO_GRADING,
                           actor="demo")
        room = Room(
            exam_id=exam.id, code="DEMO-R1", name="Ruang CAT 1", token=new_room_token(), is_open=True,
            capacity=candidates, scheduled_start=now,
        )
        session.add(room)
        session.flush()
        pins = [new_pin() for _ in range(candidates)]
        with ThreadPoolExecutor(max_workers=2) as pool:  # argon2 releases the GIL
            hashes = list(pool.map(partial(hash_pin, pepper=load_pin_pepper(config.data_dir)), pins, chunksize=64))
        people = []
        for i, pin_hash in enumerate(hashes, start=1):
            people.append(
                Candidate(
                    exam_id=exam.id, room_id=room.id, participant_no=f"2026{i:06d}", name=f"Peserta Demo {i}",
                    formation=FORMATIONS[i % len(FORMATIONS)], formation_quota=2, entry_path="general",
                    pin_hash=pin_hash,
                )
            )
        session.add_all(people)
        session.flush()
        issue_papers(session, exam, master, people)
        release_exam(session, exam, actor="demo")
        creds: dict[str, Any] = {
            "url": url,
            "exam": exam.code,
            "room": room.code,
            "room_token": room.token,
            "candidates": [
                {"participant_no": c.participant_no, "pin": pin} for c, pin in zip(people, pins, strict=True)
            ],
            "staff": _seed_staff(session, room),
        }
    write_private(path, json.dumps(creds, indent=2, ensure_ascii=False).encode("utf-8"))
    return creds


def _seed_staff(session: Any, room: Room) -> list[dict[str, str]]:
    """A proctor assigned to the demo room and a committee account (issue 6), with fresh random passwords."""
    import secrets

    from ground.staff.accounts import assign, create_staff

    accounts = [("pengawas1", "proctor", "Pengawas Ruang 1"), ("panitia", "committee", "Panitia Seleksi")]
    out = []
    for username, role, display in accounts:
        password = secrets.token_urlsafe(9)
        create_staff(session, username, password, role, display_name=display, actor="demo")
        if role == "proctor":
            assign(session, username, room.code, actor="demo")
        out.append({"username": username, "password": password, "role": role, "path": "proctor/"})
    return out

