"""Seeding a sitting's answers through the engine's own functions (start, stored answers, close_paper: score, signed
receipt), and a staff file of serving civil servants with structurally valid NIPs."""

from __future__ import annotations

import random
from pathlib import Path

from sqlalchemy import select

from candidate import sessions
from candidate.closing import close_paper
from candidate.papers import release_exam
from ground import clock, db
from ground.models import Answer, Exam, Paper
from question_bank.store import option_points

UNITS = ("Biro Umum", "Biro Keuangan", "Inspektorat")


def nip(i: int, sex: int = 1) -> str:
    """A structurally valid NIP: born 1985-1994, appointed in 2010-2019, serial i+1."""
    return f"{1985 + i % 10}{(i % 12) + 1:02d}{(i % 27) + 1:02d}{2010 + i % 10}{(i % 12) + 1:02d}{sex}{i + 1:03d}"


def staff_csv(path: Path, count: int, bad_line: int | None = None) -> Path:
    """``count`` staff in three units; with ``bad_line``, that sheet line's NIP has its birth month made 13."""
    lines = ["nip,nama,unit_kerja,jabatan"]
    for i in range(count):
        number = nip(i, 1 + i % 2)
        if bad_line is not None and i + 2 == bad_line:
            number = number[:4] + "13" + number[6:]
        lines.append(f"{number},Pegawai {i + 1:02d},{UNITS[i % 3]},{'Analis' if i % 2 else 'Pranata'}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sit(url: str, exam_code: str, key, skill: dict[int, float], absent: set[int] = frozenset(),
        seed: int = 1) -> int:
    """Open the exam, start every paper (but the absent candidates'), answer each question correctly with the
    candidate's skill (by candidate id; when not given, spread from 0.2 to 0.9 over the candidates, so the items
    discriminate as real ones do), close and score; how many papers were closed."""
    rng = random.Random(seed)
    with db.session_scope(url) as s:
        exam = s.scalar(select(Exam).where(Exam.code == exam_code))
        release_exam(s, exam, "test")
        papers = list(s.scalars(select(Paper).where(Paper.exam_id == exam.id).order_by(Paper.id)))
        versions = [q["v"] for p in papers for sub in p.layout["subtests"] for q in sub["questions"]]
        points = option_points(s, versions)
        ids = []
        for p in papers:
            if p.candidate_id in absent:
                continue
            sessions.start(s, p, exam)
            for sub in p.layout["subtests"]:
                for q in sub["questions"]:
                    key_of = points[q["v"]]
                    best = max(q["o"], key=lambda o: key_of.get(o, 0.0))
                    chance = skill.get(p.candidate_id, 0.2 + 0.7 * ((p.candidate_id * 37) % 100) / 100)
                    choice = best if rng.random() < chance else rng.choice([o for o in q["o"] if o != best])
                    s.add(Answer(paper_id=p.id, item_version_id=q["v"], option_id=choice, saved_at=clock.now()))
            ids.append(p.id)
    for pid in ids:
        close_paper(url, pid, "submitted", key)
    return len(ids)
