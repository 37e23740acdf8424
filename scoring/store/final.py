"""The final selection from the database: SKB scores in (import or an SKB exam here), integrated, stored.

Integration rules come from ``Exam.grading["integration"]`` (a dict for
:func:`scoring.integration.resolve_integration`), overridable per call; the SKD maximum defaults to the
exam's own grading maximum (550 for 2021+, 500 for the 100-item format).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ground import audit, clock
from ground.i18n import _
from ground.models import Candidate, Exam, Paper, Result
from ground.models.scoring import FinalResult, SkbScore
from ground.tables import Table, cell_text
from scoring.codes import PL
from scoring.integration import (
    FinalEntrant,
    FinalFormation,
    IntegrationRules,
    gpa_value,
    integrate,
    resolve_integration,
)
from scoring.selection import ABSENT_WORDS, PRESENT_WORDS, RowProblem, SheetError
from scoring.store.announcement import NO_FORMATION, announce_skd, exam_rules

WITHDRAWN_WORDS = {"aps", "withdrawn", "mengundurkan diri"}


def import_skb(session: Session, exam: Exam, table: Table, source: str, max_score: float = 100.0,
               actor: str = "system") -> int:
    """Upsert SKB scores from a sheet (participant_no, skb, optional status, passed, gpa/ipk: the final tie-break's
    GPA, 0-4); all rows or none, audited as ``actor``."""
    lower = {h.lower(): h for h in table.header}
    problems: list[RowProblem] = []
    for needed in ("participant_no", "skb"):
        if needed not in lower:
            problems.append(RowProblem(1, needed, _("column is missing")))
    if problems:
        raise SheetError(problems)
    cands = {c.participant_no: c for c in session.scalars(select(Candidate).where(Candidate.exam_id == exam.id))}
    parsed: list[tuple[Candidate, float | None, str, bool | None, float | None]] = []
    seen: dict[str, int] = {}
    for number, row in table.rows:
        bad = len(problems)
        pno = cell_text(row.get(lower["participant_no"]))
        cand = cands.get(pno)
        if not pno:
            problems.append(RowProblem(number, lower["participant_no"], _("is empty")))
        elif cand is None:
            problems.append(RowProblem(number, lower["participant_no"],
                                       _("%(no)s is not a candidate of %(exam)s", no=pno, exam=exam.code)))
        elif pno in seen:
            problems.append(RowProblem(number, lower["participant_no"],
                                       _("%(no)s already on row %(row)s", no=pno, row=seen[pno])))
        else:
            seen[pno] = number
        status_raw = cell_text(row.get(lower["status"])).lower() if "status" in lower else ""
        status = ("absent" if status_raw in ABSENT_WORDS else "withdrawn" if status_raw in WITHDRAWN_WORDS
                  else "present" if status_raw in PRESENT_WORDS else None)
        if status is None:
            problems.append(RowProblem(number, lower["status"], _("'%(v)s' is not hadir, TH or APS", v=status_raw)))
        raw = cell_text(row.get(lower["skb"]))
        score: float | None = None
        if raw:
            try:
                score = float(raw)
            except ValueError:
                problems.append(RowProblem(number, lower["skb"], _("'%(v)s' is not a number", v=raw)))
            else:
                if not math.isfinite(score) or score < 0:
                    problems.append(RowProblem(number, lower["skb"], _("%(v)s is not a score ≥ 0", v=raw)))
                elif score > max_score:
                    problems.append(RowProblem(number, lower["skb"],
                                               _("%(v)s is above the maximum %(max)s", v=raw, max=f"{max_score:g}")))
        elif status == "present":
            problems.append(RowProblem(number, lower["skb"], _("score is missing")))
        passed: bool | None = None
        if "passed" in lower:
            p = cell_text(row.get(lower["passed"])).lower()
            if p in ("yes", "ya", "true", "1", "y"):
                passed = True
            elif p in ("no", "tidak", "false", "0", "n"):
                passed = False
            elif p:
                problems.append(RowProblem(number, lower["passed"], _("'%(v)s' is not yes/no", v=p)))
        gpa_col = lower.get("gpa") or lower.get("ipk")
        gpa = _gpa(cell_text(row.get(gpa_col)), number, gpa_col, problems) if gpa_col else None
        if len(problems) == bad and cand is not None and status is not None:
            parsed.append((cand, score if status == "present" else None, status, passed, gpa))
    if problems:
        raise SheetError(problems)
    existing = {s.candidate_id: s for s in session.scalars(select(SkbScore).where(SkbScore.exam_id == exam.id))}
    now = clock.now()
    for cand, score, status, passed, gpa in parsed:
        if gpa is not None:
            cand.gpa = gpa
        row = existing.get(cand.id)
        if row is None:
            row = SkbScore(exam_id=exam.id, candidate_id=cand.id)
            session.add(row)
        row.score, row.max_score, row.status, row.passed = score, max_score, status, passed
        row.source, row.imported_at = source[:255], now
    audit.record(session, "skb_imported", actor=actor, exam_id=exam.id, source=source[:255], rows=len(parsed),
                 gpa=sum(p[4] is not None for p in parsed))
    session.flush()
    return len(parsed)


def _gpa(raw: str, row: int, column: str, problems: list[RowProblem]) -> float | None:
    """GPA; empty leaves the candidate's GPA as it is."""
    try:
        return gpa_value(raw)
    except ValueError:
        problems.append(RowProblem(row, column, _("GPA '%(v)s' is not a number from 0 to 4", v=raw)))
        return None


def skb_from_exam(session: Session, exam: Exam, skb_exam: Exam, max_score: float | None = None) -> int:
    """Take SKB scores from an SKB exam run on this engine, matching candidates by participant number."""
    if skb_exam.id == exam.id:
        raise ValueError(_("the SKB exam must be a different exam from the SKD exam"))
    maximum = max_score if max_score is not None else exam_rules(skb_exam).max_total
    if not maximum:
        raise ValueError(_("exam %(exam)s has no known maximum score; give the SKB maximum explicitly",
                           exam=skb_exam.code))
    finished = {
        c.participant_no: r
        for c, r in session.execute(
            select(Candidate, Result)
            .join(Result, Result.candidate_id == Candidate.id)
            .join(Paper, Paper.id == Result.paper_id)
            .where(Candidate.exam_id == skb_exam.id, Paper.state == "finished")
        )
    }
    invited = set(session.scalars(select(Candidate.participant_no).where(Candidate.exam_id == skb_exam.id)))
    existing = {s.candidate_id: s for s in session.scalars(select(SkbScore).where(SkbScore.exam_id == exam.id))}
    now = clock.now()
    count = 0
    for cand in session.scalars(select(Candidate).where(Candidate.exam_id == exam.id)):
        if cand.participant_no not in invited:
            continue
        r = finished.get(cand.participant_no)
        row = existing.get(cand.id)
        if row is None:
            row = SkbScore(exam_id=exam.id, candidate_id=cand.id)
            session.add(row)
        row.score = r.total if r is not None else None
        row.passed = r.passed if r is not None else None
        row.status = "present" if r is not None else "absent"
        row.max_score, row.source, row.imported_at = float(maximum), f"exam:{skb_exam.code}", now
        count += 1
    audit.record(session, "skb_imported", exam_id=exam.id, source=f"exam:{skb_exam.code}", rows=count)
    session.flush()
    return count


def exam_integration(exam: Exam, override: Mapping[str, Any] | None = None) -> IntegrationRules:
    """The exam's integration rules: ``grading["integration"]`` with ``override`` on top, SKD max from the exam."""
    spec: dict[str, Any] = dict((exam.grading or {}).get("integration") or {})
    spec.update(override or {})
    rules = resolve_integration(spec)
    if "skd_max" not in spec:
        skd_max = exam_rules(exam).max_total
        if skd_max:
            rules = replace(rules, skd_max=skd_max)
    return rules


def compute_final(
    session: Session, exam: Exam, override: Mapping[str, Any] | None = None, actor: str = "system",
    *, store: bool = True,
) -> list[FinalFormation]:
    """Integrate SKD (as announced now) with the SKB scores; replace the exam's FinalResult rows (unless looking)."""
    rules = exam_integration(exam, override)
    skd = announce_skd(session, exam, store=store)
    skb = {s.candidate_id: s for s in session.scalars(select(SkbScore).where(SkbScore.exam_id == exam.id))}
    entrants: list[FinalEntrant] = []
    for f in skd:
        for row in f.rows:
            seat = row.entrant.ref
            cand = seat.candidate  # a plain row of its columns
            s = skb.get(cand.id)
            if row.code != PL and s is None:
                continue  # did not go on to SKB: not part of the final announcement
            skb_value = None
            if s is not None and s.score is not None:
                skb_value = s.score * rules.skb_max / s.max_score if s.max_score else None
            entrants.append(FinalEntrant(
                participant_no=cand.participant_no, formation=cand.formation or NO_FORMATION,
                quota=int(cand.formation_quota or 0), skd_total=row.total,
                skd_scores=dict(row.entrant.scores or {}), skd_eligible=row.code == PL, skb=skb_value,
                skb_status=s.status if s is not None else "present", skb_passed=s.passed if s is not None else None,
                entry_path=cand.entry_path, gpa=cand.gpa, birth_date=cand.birth_date, name=cand.name,
                ref=(cand, seat.result),
            ))
    formations = integrate(entrants, rules)
    if not store:
        return formations
    session.execute(delete(FinalResult).where(FinalResult.exam_id == exam.id))
    now = clock.now()
    for f in formations:
        for r in f.rows:
            cand, result = r.entrant.ref
            session.add(FinalResult(
                exam_id=exam.id, candidate_id=cand.id, result_id=result.id if result is not None else None,
                formation=f.formation, entry_path=f.entry_path,
                skd_scaled=None if r.skd_scaled is None else float(round(r.skd_scaled, 6)),
                skb_scaled=None if r.skb_scaled is None else float(round(r.skb_scaled, 6)),
                final_score=None if r.final is None else float(r.final), rank=r.rank, code=r.code,
                rules=rules.as_dict(), computed_at=now,
            ))
    audit.record(session, "final_computed", actor=actor, exam_id=exam.id, rules=rules.as_dict(),
                 candidates=sum(len(f.rows) for f in formations))
    session.flush()
    return formations


def export_final(session: Session, exam: Exam, fmt: str, out: Path, key: Ed25519PrivateKey, zone: str,
                 actor: str = "system") -> Path:
    """The signed final announcement (final results stored, audited as ``actor``). Returns the .sig path."""
    from scoring.exports import write_final
    from scoring.store.announcement import record_signed

    sig = write_final(compute_final(session, exam, actor=actor), fmt, out, key, exam.title, exam.code,
                      exam_integration(exam).decimals, zone=zone)
    record_signed(session, exam, "final", out, actor)
    return sig
