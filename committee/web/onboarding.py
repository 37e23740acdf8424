"""The console's onboarding pages: cohorts of the selected, and each person's record — unit, mentor, status and
the milestones the committee defines — through the functions ``exam-engine onboarding …`` calls, audited by name."""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from candidate.exams import get_exam
from committee.web.console import committee_only, done, in_session, page
from committee.web.results import zip_download
from ground import clock, db, keyring, zones
from ground.crypto import load_signing_key
from ground.errors import AppError
from ground.i18n import _
from ground.jobs import run_apart
from ground.models import AuditEvent, Candidate, Exam, Result
from ground.models.scoring import OnboardingRecord
from ground.runtime import runtime
from ground.staff.auth import signed_in_staff
from scoring.store.onboarding import (
    DEFAULT_MILESTONES,
    STATUSES,
    OnboardingError,
    add_milestone,
    assign,
    complete_milestone,
    create_from_final,
    export_signed,
    get_or_create_cohort,
    list_records,
    set_status,
)

# under the results (the console's "Results" entry stays current): after the final selection comes onboarding
FORMATS = ("pdf", "xlsx", "csv")
bp = Blueprint("console_onboarding", __name__, url_prefix="/committee/results", template_folder="templates")


def _day(raw: str | None) -> date | None:
    """A date typed as YYYY-MM-DD (the date input's value), or AppError in the person's language."""
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise AppError("bad_request", _("'%(v)s' is not a date (YYYY-MM-DD).", v=raw), 400) from None


def _list(s: Session, code: str) -> dict[str, Any]:
    exam = get_exam(s, code)
    records = list_records(s, exam)
    return {"exam": {"code": exam.code, "title": exam.title}, "records": records,
            "milestones": "\n".join(DEFAULT_MILESTONES), "formats": FORMATS,
            "cohorts": sorted({v.cohort.code for v in records if v.cohort is not None})}


def _index(code: str, status: int = 200, error: str | None = None) -> Any:
    return page("console_onboarding.html", status=status, error=error, **in_session(lambda s: _list(s, code)))


@bp.get("/<code>/onboarding")
@committee_only
def index(code: str) -> Any:
    """Every onboarding record of the exam and the form that creates them from the final results."""
    return _index(code)


@bp.post("/<code>/onboarding")
@committee_only
def create(code: str) -> Any:
    """Records for every selected (P/L) candidate not yet onboarded, in a cohort, with the milestones typed."""
    form = request.form
    actor = signed_in_staff().actor
    names = tuple(dict.fromkeys(n.strip() for n in (form.get("milestones") or "").splitlines() if n.strip()))
    try:
        starts, ends = _day(form.get("starts")), _day(form.get("ends"))

        def work(s: Session) -> int:
            exam = get_exam(s, code)
            cohort = None
            if (form.get("cohort") or "").strip():
                cohort = get_or_create_cohort(s, form["cohort"], form.get("cohort_name") or None, starts, ends)
            return len(create_from_final(s, exam, cohort, (form.get("mentor") or "").strip() or None,
                                         names or DEFAULT_MILESTONES, actor))

        count = in_session(work)
    except AppError as err:
        return _index(code, err.status, err.message)
    except OnboardingError as exc:
        return _index(code, 409, str(exc))
    return done(_("%(n)s onboarding record(s) created.", n=count), url_for("console_onboarding.index", code=code))


def _bundle(url: str, code: str, fmt: str, cohort: str | None, actor: str, zone: str) -> tuple[str, bytes]:
    """(file name, ZIP of the signed onboarding list and its .sig), run apart: the key is read there, never sent."""
    key = load_signing_key(keyring.data_dir_for_url(url))
    with db.session_scope(url) as s, tempfile.TemporaryDirectory() as tmp:
        exam = get_exam(s, code)
        name = f"onboarding-{exam.code}{'-' + cohort if cohort else ''}.{fmt}"
        out = Path(tmp) / name
        sig = export_signed(s, exam, fmt, out, key, zone, cohort, actor)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.write(out, name)
            z.write(sig, sig.name)
        return name, buf.getvalue()


@bp.post("/<code>/onboarding/export")
@committee_only
def export(code: str) -> Any:
    """The records (of one cohort, or all) as a signed PDF, XLSX or CSV in a ZIP with its .sig; audited by name."""
    fmt = request.form.get("format", "pdf")
    cohort = (request.form.get("cohort") or "").strip()[:64] or None
    if fmt not in FORMATS:
        return _index(code, 400, _("format must be csv, xlsx or pdf."))
    rt = runtime()
    name, data = run_apart(_bundle, rt.db_url, code, fmt, cohort, signed_in_staff().actor, rt.config.site_zone)
    return zip_download(name, data)


def _person(s: Session, code: str, number: str) -> tuple[Exam, Candidate, OnboardingRecord]:
    exam = get_exam(s, code)
    row = s.execute(select(Candidate, OnboardingRecord).join(OnboardingRecord,
                                                             OnboardingRecord.candidate_id == Candidate.id)
                    .where(Candidate.exam_id == exam.id, Candidate.participant_no == number)).first()
    if row is None:
        raise AppError("unknown_record", _("No onboarding record for %(no)s.", no=number), 404)
    return exam, row[0], row[1]


def _person_view(s: Session, code: str, number: str) -> dict[str, Any]:
    exam, cand, rec = _person(s, code, number)
    view = next(v for v in list_records(s, exam) if v.record.id == rec.id)
    result = s.get(Result, rec.result_id) if rec.result_id else None
    history = list(s.scalars(select(AuditEvent).where(AuditEvent.candidate_id == cand.id,
                                                      AuditEvent.action.like("onboarding%"))
                             .order_by(AuditEvent.id)))
    return {"exam": {"code": exam.code, "title": exam.title}, "v": view, "result": result, "history": history,
            "statuses": STATUSES}


def _person_page(code: str, number: str, status: int = 200, error: str | None = None) -> Any:
    return page("console_onboarding_person.html", status=status, error=error,
                **in_session(lambda s: _person_view(s, code, number)))


@bp.get("/<code>/onboarding/<number>")
@committee_only
def person(code: str, number: str) -> Any:
    """One person's whole record: results, unit, mentor, status, milestones and who changed what when."""
    return _person_page(code, number)


@bp.post("/<code>/onboarding/<number>")
@committee_only
def change(code: str, number: str) -> Any:
    """``action=assign`` (unit, mentor), ``status``, ``milestone`` (name, due) or ``done`` (name, on)."""
    form, actor = request.form, signed_in_staff().actor
    action = form.get("action", "")
    today = clock.now().astimezone(zones.tz(runtime().config.site_zone)).date()  # the site's day, not the server's
    try:
        due, on = _day(form.get("due")), _day(form.get("on"))

        def work(s: Session) -> None:
            _exam_, _cand, rec = _person(s, code, number)
            if action == "assign":
                assign(s, rec, unit=form.get("unit"), mentor=form.get("mentor"), actor=actor)
            elif action == "status":
                set_status(s, rec, form.get("status", ""), actor)
            elif action == "milestone":
                add_milestone(s, rec, form.get("name", ""), due, actor)
            elif action == "done":
                complete_milestone(s, rec, form.get("name", ""), on or today, actor)
            else:
                raise AppError("bad_request", _("Unknown action."), 400)

        in_session(work)
    except AppError as err:
        if err.status == 404:
            raise
        return _person_page(code, number, err.status, err.message)
    except OnboardingError as exc:
        return _person_page(code, number, 400, str(exc))
    return done(_("Saved."), url_for("console_onboarding.person", code=code, number=number))


@bp.app_template_global("status_name")
def status_name(status: str) -> str:
    """An onboarding status as the committee reads it."""
    names = {"awaiting_documents": _("awaiting documents"), "in_orientation": _("in orientation"),
             "completed": _("completed")}
    return names.get(status, status)
