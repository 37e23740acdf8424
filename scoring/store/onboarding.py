"""Onboarding records: selected candidates flow from the final ranking into orientation (*orientasi/latsar*).

Created in one step from the final results (code P/L), each record keeps its link back to the exam
result and the final result, and moves through awaiting documents → in orientation → completed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import audit, clock
from ground.config import write_private
from ground.i18n import _
from ground.models import Candidate, Exam
from ground.models.scoring import FinalResult, OnboardingRecord, OrientationCohort
from ground.tables import write_rows
from scoring.codes import FINAL_PL

STATUSES = ("awaiting_documents", "in_orientation", "completed")
DEFAULT_MILESTONES = ("documents verified", "orientation started", "latsar completed", "probation evaluation")


class OnboardingError(ValueError):
    """An onboarding request that cannot be carried out; nothing was changed (the message translated)."""


def get_or_create_cohort(
    session: Session,
    code: str,
    name: str | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    schedule: list[dict[str, Any]] | None = None,
) -> OrientationCohort:
    """The cohort with ``code``, created with the given name/dates/schedule if it does not exist yet."""
    if not code or not code.strip():
        raise OnboardingError(_("a cohort needs a code"))
    if starts_on and ends_on and ends_on < starts_on:
        raise OnboardingError(_("cohort %(code)s: ends %(ends)s before it starts %(starts)s", code=code, ends=ends_on,
                                starts=starts_on))
    cohort = session.scalar(select(OrientationCohort).where(OrientationCohort.code == code.strip()))
    if cohort is None:
        cohort = OrientationCohort(code=code.strip(), name=name or code.strip(), starts_on=starts_on, ends_on=ends_on,
                                   schedule=list(schedule or []), created_at=clock.now())
        session.add(cohort)
        session.flush()
    return cohort


def create_from_final(
    session: Session,
    exam: Exam,
    cohort: OrientationCohort | None = None,
    mentor: str | None = None,
    milestones: tuple[str, ...] = DEFAULT_MILESTONES,
    actor: str = "system",
) -> list[OnboardingRecord]:
    """One record per selected (P/L) candidate of the final ranking not yet onboarded; returns the new ones."""
    finals = list(session.scalars(
        select(FinalResult).where(FinalResult.exam_id == exam.id, FinalResult.code == FINAL_PL)
        .order_by(FinalResult.formation, FinalResult.rank)
    ))
    if not finals:
        raise OnboardingError(_("exam %(exam)s has no selected candidates: compute the final results first",
                                exam=exam.code))
    have = set(session.scalars(select(OnboardingRecord.candidate_id).where(OnboardingRecord.exam_id == exam.id)))
    cands = {c.id: c for c in session.scalars(select(Candidate).where(Candidate.exam_id == exam.id))}
    now = clock.now()
    due = cohort.starts_on.isoformat() if cohort is not None and cohort.starts_on else None
    created = []
    for fr in finals:
        if fr.candidate_id in have:
            continue
        cand = cands[fr.candidate_id]
        rec = OnboardingRecord(
            exam_id=exam.id, candidate_id=cand.id, result_id=fr.result_id, final_result_id=fr.id,
            formation=fr.formation, unit=str((cand.extra or {}).get("unit") or fr.formation),
            cohort_id=cohort.id if cohort is not None else None, mentor=mentor, status=STATUSES[0],
            milestones=[{"name": m, "due": due if i == 1 else None, "done_on": None} for i, m in enumerate(milestones)],
            created_at=now, updated_at=now,
        )
        session.add(rec)
        created.append(rec)
    audit.record(session, "onboarding_created", actor=actor, exam_id=exam.id, count=len(created),
                 cohort=cohort.code if cohort is not None else None)
    session.flush()
    return created


def set_status(session: Session, record: OnboardingRecord, status: str, actor: str = "system") -> None:
    """Move a record to ``status`` (one of :data:`STATUSES`)."""
    if status not in STATUSES:
        raise OnboardingError(_("status must be one of %(statuses)s, got %(status)r", statuses=", ".join(STATUSES),
                                status=status))
    record.status = status
    record.updated_at = clock.now()
    audit.record(session, "onboarding_status", actor=actor, exam_id=record.exam_id,
                 candidate_id=record.candidate_id, status=status)


def assign(session: Session, record: OnboardingRecord, *, unit: str | None = None, mentor: str | None = None,
           actor: str = "system") -> None:
    """Give one person their unit and mentor (each person's own, not the batch's); audited."""
    if unit is not None:
        if not unit.strip() or len(unit) > 255:
            raise OnboardingError(_("a unit is 1 to 255 characters"))
        record.unit = unit.strip()
    if mentor is not None:
        if len(mentor) > 255:
            raise OnboardingError(_("a mentor's name is at most 255 characters"))
        record.mentor = mentor.strip() or None
    record.updated_at = clock.now()
    audit.record(session, "onboarding_assigned", actor=actor, exam_id=record.exam_id,
                 candidate_id=record.candidate_id, unit=record.unit, mentor=record.mentor)


def add_milestone(session: Session, record: OnboardingRecord, name: str, due: date | None,
                  actor: str = "system") -> None:
    """A milestone the committee defines for this person (e.g. on-the-job training), with its due date."""
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise OnboardingError(_("a milestone needs a name of at most 120 characters"))
    if any(m["name"] == name for m in record.milestones):
        raise OnboardingError(_("%(name)s is already a milestone", name=name))
    record.milestones = [*record.milestones, {"name": name, "due": due.isoformat() if due else None,
                                              "done_on": None}]
    record.updated_at = clock.now()
    audit.record(session, "onboarding_milestone_added", actor=actor, exam_id=record.exam_id,
                 candidate_id=record.candidate_id, milestone=name, due=due.isoformat() if due else None)


def complete_milestone(session: Session, record: OnboardingRecord, name: str, on: date,
                       actor: str = "system") -> None:
    """Mark the milestone ``name`` done on ``on``; audited."""
    ms = [dict(m) for m in record.milestones]
    for m in ms:
        if m["name"] == name:
            m["done_on"] = on.isoformat()
            break
    else:
        raise OnboardingError(_("no milestone %(name)r (have: %(have)s)", name=name,
                                have=", ".join(m["name"] for m in ms)))
    record.milestones = ms
    record.updated_at = clock.now()
    audit.record(session, "onboarding_milestone_done", actor=actor, exam_id=record.exam_id,
                 candidate_id=record.candidate_id, milestone=name, on=on.isoformat())


@dataclass(frozen=True)
class RecordView:
    """A record joined with who it is, for listing and export."""

    record: OnboardingRecord
    candidate: Candidate
    cohort: OrientationCohort | None
    final: FinalResult | None

    def as_dict(self) -> dict[str, Any]:
        r, c = self.record, self.candidate
        return {
            "participant_no": c.participant_no, "name": c.name, "formation": r.formation, "unit": r.unit,
            "cohort": self.cohort.code if self.cohort else None,
            "cohort_starts_on": self.cohort.starts_on.isoformat() if self.cohort and self.cohort.starts_on else None,
            "cohort_ends_on": self.cohort.ends_on.isoformat() if self.cohort and self.cohort.ends_on else None,
            "mentor": r.mentor, "status": r.status, "milestones": list(r.milestones),
            "result_id": r.result_id, "final_result_id": r.final_result_id,
            "final_score": self.final.final_score if self.final else None,
            "final_rank": self.final.rank if self.final else None,
        }


def list_records(session: Session, exam: Exam) -> list[RecordView]:
    """Every onboarding record of the exam with its candidate, cohort and final result."""
    rows = session.execute(
        select(OnboardingRecord, Candidate)
        .join(Candidate, Candidate.id == OnboardingRecord.candidate_id)
        .where(OnboardingRecord.exam_id == exam.id)
        .order_by(OnboardingRecord.formation, Candidate.participant_no)
    ).all()
    cohorts = {c.id: c for c in session.scalars(select(OrientationCohort))}
    finals = {f.id: f for f in session.scalars(select(FinalResult).where(FinalResult.exam_id == exam.id))}
    return [
        RecordView(rec, cand, cohorts.get(rec.cohort_id) if rec.cohort_id else None,
                   finals.get(rec.final_result_id) if rec.final_result_id else None)
        for rec, cand in rows
    ]


def export_records(views: list[RecordView], out: Path, fmt: str) -> Path:
    """Write the records as CSV (milestones as ``name=done_on`` pairs) or JSON."""
    data = [v.as_dict() for v in views]
    if fmt == "json":
        write_private(out, (json.dumps({"records": data}, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        return out
    if fmt == "csv":
        header = ["participant_no", "name", "formation", "unit", "cohort", "cohort_starts_on", "cohort_ends_on",
                  "mentor", "status", "milestones", "result_id", "final_result_id", "final_score", "final_rank"]
        rows = [[("; ".join(f"{m['name']}={m.get('done_on') or ''}" for m in d["milestones"]) if h == "milestones"
                  else ("" if d[h] is None else d[h])) for h in header] for d in data]
        return write_rows(out, header, rows)
    raise OnboardingError(_("export format must be csv or json, got %(format)r", format=fmt))


def export_signed(session: Session, exam: Exam, fmt: str, out: Path, key: Ed25519PrivateKey, zone: str,
                  cohort: str | None = None, actor: str = "system") -> Path:
    """The exam's onboarding records (of one cohort, when named) as a signed CSV, XLSX or PDF; audited with the
    file's SHA-256. Returns the .sig."""
    from scoring.exports import write_onboarding

    views = list_records(session, exam)
    if cohort:
        views = [v for v in views if v.cohort is not None and v.cohort.code == cohort]
    sig = write_onboarding([v.as_dict() for v in views], fmt, out, key, exam.title, exam.code, cohort or "",
                           zone=zone)
    audit.record(session, "onboarding_exported", actor=actor, exam_id=exam.id, cohort=cohort, format=fmt,
                 records=len(views), file=out.name, sha256=hashlib.sha256(out.read_bytes()).hexdigest())
    return sig
