"""Each person across time: every sitting with the score per competency against its standard, the trend, the
ability estimate on the common scale next to the raw score when the items are calibrated, and onboarding milestones
when the person came in through the engine's own selection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment.programmes import competencies
from assessment.staff import opened
from ground.errors import AppError
from ground.i18n import _
from ground.models import Exam, Paper, Result
from ground.models.assessment import AssessmentProgramme, AssessmentSeat, AssessmentSitting, StaffMember
from ground.models.registration import Application
from ground.models.scoring import OnboardingRecord
from scoring.store.ability import Ability, paper_ability


def abilities(session: Session, paper: Paper | None, scale_exam_id: int) -> dict[str, Ability]:
    """A finished paper's EAP ability (theta, se) per subtest on the scale of the programme's first sitting (linked
    on anchor items when its own exam is calibrated too), for the subtests whose items have a stored 2PL calibration;
    empty when there is none."""
    if paper is None or paper.state != "finished":
        return {}
    return paper_ability(session, paper.id, scale_exam_id=scale_exam_id) or {}


def _milestones(session: Session, member: StaffMember) -> list[dict[str, Any]]:
    """The onboarding records of the person's own selection (their applications' candidates), with milestones."""
    if member.person_id is None:
        return []
    candidates = list(session.scalars(select(Application.candidate_id).where(
        Application.person_id == member.person_id, Application.candidate_id.is_not(None))))
    out = []
    for rec in session.scalars(select(OnboardingRecord).where(OnboardingRecord.candidate_id.in_(candidates))):
        out.append({"formation": rec.formation, "unit": rec.unit, "status": rec.status,
                    "milestones": list(rec.milestones or [])})
    return out


def entries(session: Session, member_id: int) -> list[dict[str, Any]]:
    """Every sitting of the person (any programme), oldest first, with scores per competency and the ability."""
    out = []
    rows = session.execute(
        select(AssessmentSeat, AssessmentSitting, AssessmentProgramme, Exam)
        .join(AssessmentSitting, AssessmentSitting.id == AssessmentSeat.sitting_id)
        .join(AssessmentProgramme, AssessmentProgramme.id == AssessmentSitting.programme_id)
        .join(Exam, Exam.id == AssessmentSitting.exam_id)
        .where(AssessmentSeat.staff_id == member_id).order_by(AssessmentSitting.held_at, AssessmentSitting.id))
    scales: dict[int, int] = {}
    for seat, sitting, programme, exam in rows:
        if programme.id not in scales:  # the programme's first sitting is its common scale
            scales[programme.id] = session.scalar(select(AssessmentSitting.exam_id).where(
                AssessmentSitting.programme_id == programme.id).order_by(AssessmentSitting.held_at,
                                                                         AssessmentSitting.id).limit(1)) or exam.id
        result = session.scalar(select(Result).where(Result.candidate_id == seat.candidate_id))
        paper = session.scalar(select(Paper).where(Paper.candidate_id == seat.candidate_id))
        thetas = abilities(session, paper, scales[programme.id]) if result is not None else {}
        scores = []
        for c in competencies(programme):
            score = None if result is None else float((result.subtests or {}).get(c.subtest, 0.0))
            scores.append({"code": c.code, "name": c.name, "standard": c.standard, "score": score,
                           "gap": None if score is None else round(score - c.standard, 3),
                           "met": None if score is None else score >= c.standard,
                           "theta": thetas[c.subtest].theta if c.subtest in thetas else None,
                           "se": thetas[c.subtest].se if c.subtest in thetas else None})
        out.append({"programme": programme.code, "programme_name": programme.name, "practice": programme.practice,
                    "exam": exam.code, "held_at": sitting.held_at, "state": paper.state if paper else "absent",
                    "total": None if result is None else float(result.total), "scores": scores,
                    "calibrated": bool(thetas)})
    return out


def person(session: Session, member_id: int) -> dict[str, Any]:
    """The person (opened), every sitting, the trend per competency and the onboarding milestones."""
    member = session.get(StaffMember, member_id)
    if member is None:
        raise AppError("unknown_staff", _("No staff member %(id)s.", id=member_id), 404)
    history = entries(session, member.id)
    trend: dict[str, dict[str, Any]] = {}
    for e in history:
        for s in e["scores"]:
            t = trend.setdefault(s["code"], {"name": s["name"], "standard": s["standard"], "points": []})
            t["points"].append((e["held_at"], s["score"]))
    return {"person": opened(session, member), "sittings": history, "trend": trend,
            "onboarding": _milestones(session, member)}


def latest(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The last sitting the person finished (scored)."""
    done = [e for e in history if e["total"] is not None]
    return done[-1] if done else None


def last_sat(history: list[dict[str, Any]], programme: str) -> datetime | None:
    """When the person last sat (with a score) a sitting of ``programme``."""
    times = [e["held_at"] for e in history if e["programme"] == programme and e["total"] is not None]
    return max(times) if times else None
