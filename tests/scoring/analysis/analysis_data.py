"""Data for item analysis tests: LSAT (published), synthetic 2PL responses, and a real exam in the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session

from ground import clock, db
from ground.models import Answer, Candidate, Exam, Item, ItemVersion, Option, Paper

PATTERNS = np.array([[int(c) for c in format(i, "05b")] for i in range(32)], dtype=np.uint8)
# Bock & Lieberman (1970) LSAT sections 7 and 6, 1000 examinees, patterns 00000 .. 11111 in binary order
# (R: mirt::LSAT7 and ltm::LSAT / mirt::LSAT6). See docs/item-analysis.md.
LSAT7_FREQ = [12, 19, 1, 7, 3, 19, 3, 17, 10, 5, 3, 7, 7, 23, 8, 28,
              7, 39, 11, 34, 14, 51, 15, 90, 6, 25, 7, 35, 18, 136, 32, 308]
LSAT6_FREQ = [3, 6, 2, 11, 1, 1, 3, 4, 1, 8, 0, 16, 0, 3, 2, 15,
              10, 29, 14, 81, 3, 28, 15, 80, 16, 56, 21, 173, 11, 61, 28, 298]


def expand(freq: list[int]) -> np.ndarray:
    return np.repeat(PATTERNS, freq, axis=0)


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def simulate_2pl(n: int, a: np.ndarray, b: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(n)
    p = 1.0 / (1.0 + np.exp(-a[None, :] * (theta[:, None] - b[None, :])))
    return (rng.random(p.shape) < p).astype(np.uint8), theta


@dataclass
class DbExam:
    """A small SKD-like exam in the database: TIU (right/wrong, 10 in the bank, 8 per paper) and TKP (weighted)."""

    code: str
    exam_id: int
    tiu_versions: list[int] = field(default_factory=list)
    tkp_versions: list[int] = field(default_factory=list)
    options: dict[int, list[int]] = field(default_factory=dict)  # version -> option ids by position
    item_of: dict[int, int] = field(default_factory=dict)  # version -> item id
    bad_key_version: int = 0
    finished: int = 0


def build_exam(session: Session, code: str = "SKD-A", n: int = 160, seed: int = 5,
               bank: DbExam | None = None) -> DbExam:
    """Candidates answer from a 2PL; one TIU item's key is wrong (the bank says A, good candidates pick B).

    With ``bank``, the new exam draws from that exam's items instead of creating its own.
    """
    rng = np.random.default_rng(seed)
    now = clock.now()
    exam = Exam(code=code, title="Seleksi Analisis", duration_s=600, created_at=now)
    session.add(exam)
    session.flush()
    out = DbExam(code=code, exam_id=exam.id)
    if bank is not None:
        out.tiu_versions, out.tkp_versions = bank.tiu_versions, bank.tkp_versions
        out.options, out.item_of = bank.options, bank.item_of
    for sub, count in (("TIU", 10), ("TKP", 4)) if bank is None else ():
        for i in range(count):
            item = Item(uid=f"{code}-{sub}-{i}", subtest=sub, created_at=now)
            session.add(item)
            session.flush()
            v = ItemVersion(item_id=item.id, version=1, text=f"{sub} {i}", content_hash=f"{code}{sub}{i}",
                            created_at=now)
            session.add(v)
            session.flush()
            pts = [5.0, 0.0, 0.0, 0.0, 0.0] if sub == "TIU" else [5.0, 4.0, 3.0, 2.0, 1.0]
            opts = [Option(item_version_id=v.id, position=p, text=f"opt {p}", points=pts[p]) for p in range(5)]
            session.add_all(opts)
            session.flush()
            out.options[v.id] = [o.id for o in opts]
            out.item_of[v.id] = item.id
            (out.tiu_versions if sub == "TIU" else out.tkp_versions).append(v.id)
    out.bad_key_version = out.tiu_versions[3]
    a = np.linspace(0.8, 2.0, 10)
    b = np.linspace(-1.5, 1.5, 10)
    for c in range(n):
        theta = rng.standard_normal()
        cand = Candidate(exam_id=exam.id, participant_no=f"P{c:04d}", name=f"Peserta {c}", pin_hash="x")
        session.add(cand)
        session.flush()
        tiu = sorted(rng.choice(10, size=8, replace=False).tolist())
        layout = {"subtests": [
            {"code": "TIU", "title": "Tes Intelegensi Umum",
             "questions": [{"v": out.tiu_versions[i], "o": out.options[out.tiu_versions[i]]} for i in tiu]},
            {"code": "TKP", "title": "Tes Karakteristik Pribadi",
             "questions": [{"v": v, "o": out.options[v]} for v in out.tkp_versions]},
        ]}
        state = "finished" if c < n - 5 else "issued"  # five absentees: never part of the analysis
        paper = Paper(exam_id=exam.id, candidate_id=cand.id, seed=c, layout=layout, package_nonce=b"n",
                      package_ciphertext=b"c", key_wrapped=b"k", state=state, issued_at=now)
        session.add(paper)
        session.flush()
        if state != "finished":
            continue
        out.finished += 1
        for i in tiu:
            v = out.tiu_versions[i]
            right = rng.random() < 1.0 / (1.0 + np.exp(-a[i] * (theta - b[i])))
            if v == out.bad_key_version:
                pick = 1 if right else int(rng.choice([0, 2, 3]))  # the truly right answer is B
            else:
                pick = 0 if right else int(rng.integers(1, 4))  # option E is never chosen
            if rng.random() < 0.03:
                continue  # left blank: no answer row at all
            session.add(Answer(paper_id=paper.id, item_version_id=v, option_id=out.options[v][pick], seq=1,
                               saved_at=now))
        for v in out.tkp_versions:
            pick = int(np.clip(round(2 - theta + rng.normal(0, 0.8)), 0, 4))
            session.add(Answer(paper_id=paper.id, item_version_id=v, option_id=out.options[v][pick], seq=1,
                               saved_at=now))
    session.commit()
    return out


@pytest.fixture
def db_exam(db_url: str) -> DbExam:
    """:func:`build_exam` committed to a fresh database (SQLite, and PostgreSQL when configured); the committee's
    and item analysis's conftests both offer it."""
    with db.session_scope(db_url) as s:
        return build_exam(s)
