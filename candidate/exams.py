"""Exams as the committee runs them: create from a blueprint (refused early if the bank is short), list, open."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from candidate.papers import exam_data_key, refuse_undeliverable, undeliverable
from ground import audit, clock
from ground.errors import AppError
from ground.i18n import _
from ground.models import Candidate, Exam, Paper, Room
from question_bank.assembly import stock_problems
from question_bank.blueprint import Blueprint, blueprint_to_dict
from question_bank.store import load_pool
from scoring.presets import RulesError, resolve_rules

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def get_exam(session: Session, code: str) -> Exam:
    """The exam with ``code``; AppError ``unknown_exam`` naming it otherwise."""
    exam = session.scalar(select(Exam).where(Exam.code == code))
    if exam is None:
        raise AppError("unknown_exam", _("No exam with code %(code)s.", code=code), 404)
    return exam


def bank_problems(session: Session, bp: Blueprint) -> list[str]:
    """What the bank lacks to fill every paper of ``bp``, and items no candidate could answer (empty: it can)."""
    pool = load_pool(session, [s.code for s in bp.sections])
    odd = undeliverable(session, pool)
    shown = [_("items the candidate page cannot show: %(items)s", items=", ".join(odd))] if odd else []
    return shown + stock_problems(bp, pool)


def create_exam(
    session: Session, code: str, title: str, bp: Blueprint, master_key: bytes, *,
    grading: dict[str, Any] | None = None, actor: str = "system",
) -> Exam:
    """A new draft exam with its data key; refused, with the whole report, when the bank cannot fill it."""
    if not CODE_RE.match(code):
        raise AppError("bad_code", _("An exam code is 1-64 letters, digits, dots, dashes or underscores."), 400)
    if session.scalar(select(Exam.id).where(Exam.code == code)) is not None:
        raise AppError("exists", _("An exam with code %(code)s exists already.", code=code), 409)
    grading = dict(grading if grading is not None else bp.grading)
    try:
        rules = resolve_rules(grading)
    except RulesError as exc:
        raise AppError("bad_grading", _("The grading rules are not valid: %(why)s", why=str(exc)), 400) from exc
    missing = [s.code for s in bp.sections if s.code not in rules.subtests]
    if missing:
        raise AppError(
            "bad_grading",
            _("The grading rules know no subtest %(codes)s of the blueprint.", codes=", ".join(missing)), 400,
        )
    pool = load_pool(session, [s.code for s in bp.sections])
    refuse_undeliverable(session, pool)
    problems = stock_problems(bp, pool)
    if problems:
        raise AppError(
            "bank_short", _("The bank cannot fill this exam: %(what)s", what="; ".join(problems)), 409,
            problems=problems,
        )
    exam = Exam(
        code=code, title=title or bp.title, duration_s=bp.duration_s, blueprint=blueprint_to_dict(bp),
        grading=grading, state="draft", created_at=clock.now(),
    )
    session.add(exam)
    session.flush()
    exam_data_key(exam, master_key)
    audit.record(session, "exam_created", actor=actor, exam_id=exam.id, blueprint=bp.code, items=bp.total_items)
    return exam


def exam_overview(session: Session) -> list[dict[str, Any]]:
    """Every exam with its rooms, candidates, papers by state and whether its key is released."""
    out = []
    for exam in session.scalars(select(Exam).order_by(Exam.created_at)):
        states = {
            state: n
            for state, n in session.execute(
                select(Paper.state, func.count()).where(Paper.exam_id == exam.id).group_by(Paper.state)
            )
        }
        out.append({
            "code": exam.code, "title": exam.title, "state": exam.state, "duration_s": exam.duration_s,
            "rooms": session.scalar(select(func.count()).select_from(Room).where(Room.exam_id == exam.id)),
            "candidates": session.scalar(
                select(func.count()).select_from(Candidate).where(Candidate.exam_id == exam.id)
            ),
            "papers": states,
            "released": clock.isoformat(exam.key_released_at) if exam.key_released_at else None,
        })
    return out
