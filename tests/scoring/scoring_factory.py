"""Builds small real exams in the database for scoring tests: items, candidates, papers, answers, results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from candidate.results import score_paper
from ground import clock
from ground.models import Answer, Candidate, Exam, Item, ItemVersion, Option, Paper

# A miniature SKD: two questions per subtest. TWK/TIU: option 0 is the key (5 points).
# TKP: options 0..4 weigh 5, 4, 3, 2, 1.
MINI_RULES: dict[str, Any] = {
    "name": "mini",
    "subtests": {"TWK": {"min": 5, "max": 10}, "TIU": {"min": 5, "max": 10}, "TKP": {"min": 6, "max": 10}},
    "tie_break": ["TKP", "TIU", "TWK"],
    "quota_multiplier": 3,
}


@dataclass
class MiniExam:
    """The exam and handles to its item versions and options for writing answers."""

    exam: Exam
    versions: dict[str, list[ItemVersion]] = field(default_factory=dict)  # subtest -> versions
    options: dict[int, list[int]] = field(default_factory=dict)  # version id -> option ids by position
    candidates: dict[str, Candidate] = field(default_factory=dict)


def make_exam(session: Session, code: str = "SKD-T", grading: dict[str, Any] | None = None) -> MiniExam:
    now = clock.now()
    exam = Exam(code=code, title="Seleksi Uji", duration_s=600, grading=grading or MINI_RULES, created_at=now)
    session.add(exam)
    session.flush()
    mini = MiniExam(exam)
    for sub in ("TWK", "TIU", "TKP"):
        mini.versions[sub] = []
        for n in range(2):
            item = Item(uid=f"{code}-{sub}-{n}", subtest=sub, created_at=now)
            session.add(item)
            session.flush()
            v = ItemVersion(item_id=item.id, version=1, text=f"{sub} {n}", content_hash=f"{code}{sub}{n}",
                            created_at=now)
            session.add(v)
            session.flush()
            pts = [5, 4, 3, 2, 1] if sub == "TKP" else [5, 0, 0, 0, 0]
            opts = [Option(item_version_id=v.id, position=i, text=f"o{i}", points=p) for i, p in enumerate(pts)]
            session.add_all(opts)
            session.flush()
            mini.versions[sub].append(v)
            mini.options[v.id] = [o.id for o in opts]
    return mini


def add_candidate(
    session: Session,
    mini: MiniExam,
    no: str,
    picks: dict[str, list[int | None]] | None,
    *,
    formation: str = "Analis",
    quota: int = 1,
    entry_path: str = "general",
    gpa: float | None = None,
    birth_date: Any = None,
    extra: dict[str, Any] | None = None,
) -> Candidate:
    """A candidate; ``picks`` = subtest → chosen option position per question (None blank); None = absent."""
    c = Candidate(exam_id=mini.exam.id, participant_no=no, name=f"Peserta {no}", formation=formation,
                  formation_quota=quota, entry_path=entry_path, gpa=gpa, birth_date=birth_date, pin_hash="x",
                  extra=extra or {})
    session.add(c)
    session.flush()
    mini.candidates[no] = c
    if picks is None:
        return c
    now = clock.now()
    layout = {"subtests": [
        {"code": sub, "title": sub, "questions": [{"v": v.id, "o": list(mini.options[v.id])} for v in vs]}
        for sub, vs in mini.versions.items()
    ]}
    paper = Paper(exam_id=mini.exam.id, candidate_id=c.id, seed=1, layout=layout, package_nonce=b"n",
                  package_ciphertext=b"c", key_wrapped=b"k", state="finished", issued_at=now, started_at=now,
                  finished_at=now, finish_reason="submitted")
    session.add(paper)
    session.flush()
    for sub, positions in picks.items():
        for v, pos in zip(mini.versions[sub], positions, strict=True):
            opt = None if pos is None else mini.options[v.id][pos]
            session.add(Answer(paper_id=paper.id, item_version_id=v.id, option_id=opt, saved_at=now))
    session.flush()
    score_paper(session, paper, mini.exam)
    return c
