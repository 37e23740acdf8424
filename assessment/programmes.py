"""Assessment programmes: a committee defines a periodic assessment — its blueprint, the competencies it scores (one
subtest each) with their standards, the target group (units, positions), the windows and the reassessment period."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import audit, clock, zones
from ground.errors import AppError
from ground.i18n import _
from ground.models.assessment import AssessmentProgramme
from question_bank.blueprint import BlueprintError, load_preset, preset_names

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
COMP_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,15}$")


@dataclass(frozen=True)
class Competency:
    """A competency scored by one subtest of the blueprint, with the standard a person should reach."""

    code: str
    name: str
    subtest: str
    standard: float


def competencies(programme: AssessmentProgramme) -> list[Competency]:
    """The programme's competencies in their order."""
    return [Competency(c["code"], c["name"], c["subtest"], float(c["standard"])) for c in programme.competencies]


def parse_competencies(text: str) -> list[Competency]:
    """Lines ``CODE; name; subtest; standard`` (e.g. ``TEK; Teknis; TIU; 30``); AppError naming the line otherwise."""
    out: list[Competency] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(";")]
        if len(parts) != 4:
            raise AppError("bad_competency", _("Competency line %(n)s: write CODE; name; subtest; standard.", n=number))
        code, name, subtest, standard = parts
        if not COMP_RE.match(code) or not name or len(name) > 120:
            raise AppError("bad_competency", _("Competency line %(n)s: the code is 1-16 letters or digits and the name "
                                               "1-120 characters.", n=number))
        try:
            value = float(standard.replace(",", "."))
        except ValueError:
            value = -1.0
        if not 0 <= value <= 10_000:
            raise AppError("bad_competency", _("Competency line %(n)s: the standard '%(v)s' is not a score of 0 or "
                                               "more.", n=number, v=standard))
        if any(c.code == code for c in out):
            raise AppError("bad_competency", _("Competency line %(n)s: the code %(code)s repeats.", n=number,
                                               code=code))
        out.append(Competency(code, name, subtest, value))
    if not out:
        raise AppError("bad_competency", _("Name at least one competency."))
    return out


def parse_windows(text: str) -> list[dict[str, str]]:
    """Lines ``YYYY-MM-DD YYYY-MM-DD`` (opens, closes); AppError naming the line otherwise."""
    out = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        try:
            opens, closes = (date.fromisoformat(p) for p in parts) if len(parts) == 2 else (None, None)
        except ValueError:
            opens = closes = None
        if opens is None or closes is None or closes < opens:
            raise AppError("bad_window", _("Window line %(n)s: write the first and last day as YYYY-MM-DD "
                                           "YYYY-MM-DD, the last not before the first.", n=number))
        out.append({"opens": opens.isoformat(), "closes": closes.isoformat()})
    return out


def check_window(programme: AssessmentProgramme, when: datetime, zone: str) -> None:
    """A sitting is held inside one of the programme's windows (days as the site reads them); a programme without
    windows may sit any day. Refused, naming the windows, rather than a sitting quietly out of its period."""
    windows = programme.windows or []
    day = date.fromisoformat(zones.local(when, zone, "%Y-%m-%d").split()[0])
    if not windows or any(date.fromisoformat(w["opens"]) <= day <= date.fromisoformat(w["closes"]) for w in windows):
        return
    raise AppError("outside_window", _("%(day)s is outside the programme's windows (%(windows)s).", day=day.isoformat(),
                                       windows=", ".join(f"{w['opens']} – {w['closes']}" for w in windows)), 409)


def _names(text: str) -> list[str]:
    return list(dict.fromkeys(" ".join(n.split()) for n in (text or "").split(",") if n.strip()))


def create(session: Session, *, code: str, name: str, blueprint: str, competencies_text: str, units: str = "",
           positions: str = "", windows: str = "", period_months: int = 12, practice: bool = False,
           actor: str) -> AssessmentProgramme:
    """A new programme; refused, naming the field, when something is not valid (nothing is stored then)."""
    code, name = (code or "").strip(), " ".join((name or "").split())
    if not CODE_RE.match(code):
        raise AppError("bad_code", _("A programme code is 1-64 letters, digits, dots, dashes or underscores."))
    if not name or len(name) > 255:
        raise AppError("bad_name", _("Name the programme (up to 255 characters)."))
    if blueprint not in preset_names():
        raise AppError("bad_preset", _("Choose one of the blueprints offered."))
    try:
        sections = [s.code for s in load_preset(blueprint).sections]
    except BlueprintError:
        raise AppError("bad_preset", _("Choose one of the blueprints offered.")) from None
    comps = parse_competencies(competencies_text)
    unknown = [c.subtest for c in comps if c.subtest not in sections]
    if unknown:
        raise AppError("bad_competency", _("The blueprint %(bp)s has no subtest %(codes)s (it has %(have)s).",
                                           bp=blueprint, codes=", ".join(unknown), have=", ".join(sections)))
    if not 1 <= int(period_months) <= 120:
        raise AppError("bad_period", _("The reassessment period is 1 to 120 months."))
    if session.scalar(select(AssessmentProgramme.id).where(AssessmentProgramme.code == code)) is not None:
        raise AppError("exists", _("A programme with code %(code)s exists already.", code=code), 409)
    programme = AssessmentProgramme(
        code=code, name=name, blueprint=blueprint, period_months=int(period_months), practice=bool(practice),
        competencies=[{"code": c.code, "name": c.name, "subtest": c.subtest, "standard": c.standard} for c in comps],
        target={"units": _names(units), "positions": _names(positions)}, windows=parse_windows(windows),
        created_by=actor, created_at=clock.now(),
    )
    session.add(programme)
    session.flush()
    audit.record(session, "assessment.programme_created", actor=actor, programme=code, blueprint=blueprint,
                 practice=bool(practice), competencies=[c.code for c in comps])
    return programme


def by_code(session: Session, code: str) -> AssessmentProgramme:
    """The programme with ``code``; AppError ``unknown_programme`` otherwise."""
    found = session.scalar(select(AssessmentProgramme).where(AssessmentProgramme.code == code))
    if found is None:
        raise AppError("unknown_programme", _("No assessment programme with code %(code)s.", code=code), 404)
    return found


def in_target(programme: AssessmentProgramme, unit: str, position: str) -> bool:
    """Whether a person of ``unit`` and ``position`` belongs to the programme's target group (empty lists: all)."""
    units, positions = programme.target.get("units") or [], programme.target.get("positions") or []
    return (not units or unit in units) and (not positions or position in positions)


def listing(session: Session) -> list[dict[str, Any]]:
    """Every programme, newest first."""
    return [{"code": p.code, "name": p.name, "blueprint": p.blueprint, "practice": p.practice,
             "period_months": p.period_months, "competencies": p.competencies}
            for p in session.scalars(select(AssessmentProgramme).order_by(AssessmentProgramme.id.desc()))]
