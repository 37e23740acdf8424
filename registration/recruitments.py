"""A recruitment as the committee defines it: the period, formations with quota, education and entry paths, and the
documents every applicant uploads (types and size limits)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ground import audit, clock
from ground.errors import AppError
from ground.files import KINDS  # the only uploads accepted
from ground.i18n import _
from ground.models.registration import Application, Formation, Recruitment, Requirement

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PATH_RE = re.compile(r"^[a-z][a-z_]{1,30}$")


@dataclass(frozen=True)
class RecruitmentView:
    """What the portal shows of a recruitment."""

    id: int
    code: str
    name: str
    opens_at: datetime
    closes_at: datetime
    formations: list[dict[str, Any]]
    requirements: list[dict[str, Any]]

    def is_open(self, now: datetime) -> bool:
        """Whether applications may be made or changed now."""
        return self.opens_at <= now < self.closes_at


def _code(value: str) -> str:
    value = (value or "").strip()
    if not CODE_RE.match(value):
        raise AppError("bad_code", _("A code is up to 64 letters, digits, dots, dashes or underscores."))
    return value


def _period(opens_at: datetime, closes_at: datetime, retain_until: datetime | None) -> None:
    if closes_at <= opens_at:
        raise AppError("bad_period", _("The registration must close after it opens."))
    if retain_until is not None and retain_until <= closes_at:
        raise AppError("bad_retention", _("Applicants' data must be kept at least until the registration closes."))


def create(session: Session, code: str, name: str, opens_at: datetime, closes_at: datetime, *, actor: str,
           retain_until: datetime | None = None) -> int:
    """A new recruitment; refused when the code is taken or the period is empty. ``retain_until``: when the
    applicants' personal data of this recruitment are erased (``recruitment expire``)."""
    code = _code(code)
    _period(opens_at, closes_at, retain_until)
    if session.scalar(select(Recruitment.id).where(Recruitment.code == code)) is not None:
        raise AppError("duplicate_recruitment", _("A recruitment %(code)s exists already.", code=code), 409)
    row = Recruitment(code=code, name=name.strip() or code, opens_at=opens_at, closes_at=closes_at,
                      retain_until=retain_until, created_at=clock.now())
    session.add(row)
    session.flush()
    audit.record(session, "recruitment.created", actor=actor, recruitment=code)
    return row.id


def edit(session: Session, code: str, *, name: str | None = None, opens_at: datetime | None = None,
         closes_at: datetime | None = None, retain_until: datetime | None = None, actor: str) -> None:
    """Change a recruitment's title, period or retention date (what is not given stays)."""
    rec = by_code(session, code)
    opens, closes = opens_at or rec.opens_at, closes_at or rec.closes_at
    keep = retain_until if retain_until is not None else rec.retain_until
    _period(opens, closes, keep)
    changed = {k: v for k, v in (("name", name), ("opens_at", opens_at), ("closes_at", closes_at),
                                  ("retain_until", retain_until)) if v is not None}
    if "name" in changed:
        changed["name"] = (name or "").strip() or rec.code
    for key, value in changed.items():
        setattr(rec, key, value)
    audit.record(session, "recruitment.edited", actor=actor, recruitment=rec.code, fields=sorted(changed))


def by_code(session: Session, code: str) -> Recruitment:
    """The recruitment, or 404."""
    row = session.scalar(select(Recruitment).where(Recruitment.code == (code or "").strip()))
    if row is None:
        raise AppError("unknown_recruitment", _("No recruitment with code %(code)s.", code=code), 404)
    return row


def add_formation(session: Session, recruitment: str, code: str, name: str, quota: int, education: str,
                  entry_paths: list[str], *, actor: str, replace: bool = False) -> int:
    """A formation of the recruitment (quota at least 1; entry paths like general, cum_laude, disability);
    ``replace`` changes an existing one instead of refusing it."""
    rec = by_code(session, recruitment)
    code = _code(code)
    if quota < 1:
        raise AppError("bad_quota", _("The quota is at least 1."))
    paths = list(dict.fromkeys(entry_paths or ["general"]))
    if not all(PATH_RE.match(p) for p in paths):
        raise AppError("bad_entry_path", _("Entry paths are codes like general or cum_laude."))
    old = session.scalar(select(Formation).where(Formation.recruitment_id == rec.id, Formation.code == code))
    if old is not None and replace:
        old.name, old.quota, old.education, old.entry_paths = name.strip() or code, quota, education.strip(), paths
        audit.record(session, "recruitment.formation_changed", actor=actor, recruitment=rec.code, formation=code,
                     quota=quota, entry_paths=paths)
        return old.id
    if old is not None:
        raise AppError("duplicate_formation", _("The formation %(code)s exists already.", code=code), 409)
    row = Formation(recruitment_id=rec.id, code=code, name=name.strip() or code, quota=quota,
                    education=education.strip(), entry_paths=paths)
    session.add(row)
    session.flush()
    audit.record(session, "recruitment.formation_added", actor=actor, recruitment=rec.code, formation=code,
                 quota=quota)
    return row.id


def add_requirement(session: Session, recruitment: str, code: str, name: str, kinds: list[str], max_bytes: int, *,
                    actor: str) -> int:
    """A document every applicant uploads: PDF and/or JPEG, at most ``max_bytes``."""
    rec = by_code(session, recruitment)
    code = _code(code)
    kinds = list(dict.fromkeys(kinds))
    if not kinds or any(k not in KINDS for k in kinds):
        raise AppError("bad_kind", _("A document is PDF or JPEG."))
    if not 1024 <= max_bytes <= 20 * 1024 * 1024:
        raise AppError("bad_size", _("The size limit is between 1 KB and 20 MB."))
    if session.scalar(select(Requirement.id).where(Requirement.recruitment_id == rec.id, Requirement.code == code)):
        raise AppError("duplicate_requirement", _("The document %(code)s exists already.", code=code), 409)
    row = Requirement(recruitment_id=rec.id, code=code, name=name.strip() or code, kinds=kinds, max_bytes=max_bytes)
    session.add(row)
    session.flush()
    audit.record(session, "recruitment.requirement_added", actor=actor, recruitment=rec.code, requirement=code)
    return row.id


def view(session: Session, rec: Recruitment) -> RecruitmentView:
    """The recruitment with its formations and requirements, as plain data."""
    forms = session.scalars(select(Formation).where(Formation.recruitment_id == rec.id).order_by(Formation.code))
    reqs = session.scalars(select(Requirement).where(Requirement.recruitment_id == rec.id).order_by(Requirement.id))
    return RecruitmentView(
        rec.id, rec.code, rec.name, rec.opens_at, rec.closes_at,
        [{"id": f.id, "code": f.code, "name": f.name, "quota": f.quota, "education": f.education,
          "entry_paths": list(f.entry_paths)} for f in forms],
        [{"id": r.id, "code": r.code, "name": r.name, "kinds": list(r.kinds), "max_bytes": r.max_bytes}
         for r in reqs],
    )


def listing(session: Session) -> list[dict[str, Any]]:
    """Every recruitment, newest first, with its applications counted by state (draft, submitted, MS, TMS)."""
    counts: dict[int, dict[str, int]] = {}
    rows = session.execute(select(Application.recruitment_id, Application.state, Application.result, func.count())
                           .group_by(Application.recruitment_id, Application.state, Application.result))
    for rec_id, state, result, n in rows:
        c = counts.setdefault(rec_id, {})
        key = result if state == "submitted" and result else state
        c[key] = c.get(key, 0) + n
    return [{"code": r.code, "name": r.name, "opens_at": r.opens_at, "closes_at": r.closes_at,
             "retain_until": r.retain_until, "counts": counts.get(r.id, {})}
            for r in session.scalars(select(Recruitment).order_by(Recruitment.created_at.desc(), Recruitment.code))]


def open_now(session: Session) -> list[RecruitmentView]:
    """The recruitments taking applications now."""
    now = clock.now()
    rows = session.scalars(select(Recruitment).where(Recruitment.opens_at <= now, Recruitment.closes_at > now)
                           .order_by(Recruitment.closes_at))
    return [view(session, r) for r in rows]
