"""The console's assessment pages (issue 18): programmes, the staff import with a preview (a bad NIP named at its
line), invitations from the person records, sittings, each person's history with its signed report, and the report
per unit with its charts and signed CSV/XLSX/PDF — the functions ``exam-engine assessment …`` calls."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request, url_for
from sqlalchemy.orm import Session

from assessment import history, programmes, reports, sittings, staff
from committee.web import uploads
from committee.web.console import committee_only, done, in_session, page
from ground import clock, tables
from ground.errors import AppError
from ground.i18n import _
from ground.runtime import runtime
from ground.staff.auth import signed_in_staff
from proctor import roster
from question_bank.blueprint import preset_names

bp = Blueprint("console_assessment", __name__, url_prefix="/committee/assessment", template_folder="templates")
KIND = "assessment_staff"
CODE = "<code>"
MEMBER = "<int(max=2147483647):member>"
DEFAULT_COMPETENCIES = "TEK; Teknis; TIU; 25\nMAN; Manajerial; TKP; 35\nSOS; Sosial kultural; TWK; 25"


def _zone() -> str:
    return runtime().config.site_zone


def _index(status: int = 200, error: str | None = None, form: dict[str, str] | None = None) -> Any:
    return page("console_assessment.html", status=status, error=error, form=form or {},
                programmes=in_session(programmes.listing), presets=preset_names(), default=DEFAULT_COMPETENCIES)


@bp.get("/")
@committee_only
def index() -> Any:
    """Every programme and the form defining a new one."""
    return _index()


@bp.post("/")
@committee_only
def create() -> Any:
    """Define a programme; refused with the reason at the form (nothing stored)."""
    form = {k: (request.form.get(k) or "") for k in ("code", "name", "blueprint", "competencies", "units",
                                                     "positions", "windows", "period_months", "practice")}
    actor = signed_in_staff().actor
    try:
        period = int(form["period_months"] or 12)
    except ValueError:
        return _index(400, _("The reassessment period is 1 to 120 months."), form)

    def work(s: Session) -> str:
        return programmes.create(s, code=form["code"], name=form["name"], blueprint=form["blueprint"],
                                 competencies_text=form["competencies"], units=form["units"],
                                 positions=form["positions"], windows=form["windows"], period_months=period,
                                 practice=form["practice"] == "1", actor=actor).code

    try:
        code = in_session(work)
    except AppError as err:
        return _index(err.status, err.message, form)
    return done(_("Programme %(code)s created.", code=code), url_for(".programme", code=code))


def _programme_data(s: Session, code: str) -> dict[str, Any]:
    p = programmes.by_code(s, code)
    people = staff.invited(s, p)
    return {"programme": p, "staff": people, "sittings": sittings.listing(s, p),
            "units": sorted({m["unit"] for m in people}), "choices": staff.people_choices(s)}


def _programme(code: str, status: int = 200, **extra: Any) -> Any:
    return page("console_assessment_programme.html", status=status,
                **in_session(lambda s: _programme_data(s, code)), **extra)


@bp.get(f"/{CODE}")
@committee_only
def programme(code: str) -> Any:
    """A programme: competencies, invited staff, the staff import, invitations from person records, sittings."""
    return _programme(code)


@bp.post(f"/{CODE}/import")
@committee_only
def import_preview(code: str) -> Any:
    """Keep the upload and show every row, or every problem by line (nothing stored)."""
    file = request.files.get("file")
    try:
        uploads.discard(KIND)
        upload_id = uploads.keep(KIND, file.filename if file else "", file.read() if file else b"", programme=code)
        path, _kept = uploads.pending(KIND, upload_id)
        rows = staff.check(tables.read_table(path))
    except staff.StaffImportError as err:
        uploads.discard(KIND)
        return _programme(code, 422, problems=err.problems)
    except tables.TableError as err:
        uploads.discard(KIND)
        return _programme(code, 400, error=str(err))
    except AppError as err:
        uploads.discard(KIND)
        return _programme(code, err.status, error=err.message)
    return page("console_assessment_preview.html", rows=rows, upload_id=upload_id, code=code, name=path.name)


@bp.post(f"/{CODE}/import/commit")
@committee_only
def import_commit(code: str) -> Any:
    """Store and invite the previewed staff (checked again)."""
    path, kept = uploads.pending(KIND, request.form.get("upload_id", ""))
    if kept.get("programme") != code:
        raise AppError("no_upload", _("This preview has expired. Upload the file again."), 409)
    actor = signed_in_staff().actor
    try:
        rows = staff.check(tables.read_table(path))
        n = in_session(lambda s: staff.import_rows(s, programmes.by_code(s, code), rows, actor))
    except staff.StaffImportError as err:
        return _programme(code, 422, problems=err.problems)
    uploads.discard(KIND)
    return done(_("%(rows)s staff read, %(n)s newly invited.", rows=len(rows), n=n), url_for(".programme", code=code))


@bp.post(f"/{CODE}/invite")
@committee_only
def invite(code: str) -> Any:
    """Invite chosen people of the registration's person records, with their unit and position."""
    ids = [int(v) for v in request.form.getlist("person") if v.isdigit()]
    unit, position = (" ".join((request.form.get(k) or "").split()) for k in ("unit", "position"))
    if not ids or not unit:
        return _programme(code, 400, error=_("Choose at least one person and name their unit."))
    actor = signed_in_staff().actor
    n = in_session(lambda s: staff.invite_people(s, programmes.by_code(s, code), ids, unit, position, actor))
    return done(_("%(n)s people invited.", n=n), url_for(".programme", code=code))


@bp.post(f"/{CODE}/sittings")
@committee_only
def sitting(code: str) -> Any:
    """A sitting: the exam from the blueprint, every invited staff member of the target group a candidate in the
    room, papers issued; the PIN list written to the data folder for the cards (the candidates page prints them)."""
    exam_code, room = ((request.form.get(k) or "").strip() for k in ("exam", "room"))
    actor, master_key, data_dir = signed_in_staff().actor, runtime().master_key, runtime().config.data_dir
    zone = runtime().config.site_zone

    def work(s: Session) -> int:
        exam, issued = sittings.create(s, programmes.by_code(s, code), exam_code, room, master_key, zone=zone,
                                       actor=actor)
        roster.write_pins(data_dir / f"pins-{exam.code}-{clock.now():%Y%m%dT%H%M%S}.csv", issued)
        return len(issued)

    try:
        n = in_session(work)
    except AppError as err:
        return _programme(code, err.status, error=err.message)
    return done(_("Sitting %(exam)s made: %(n)s candidates with their papers; print their cards on the candidates "
                  "page.", exam=exam_code, n=n), url_for(".programme", code=code))


@bp.get(f"/{CODE}/staff/{MEMBER}")
@committee_only
def person(code: str, member: int) -> Any:
    """One person's history: every sitting, scores against the standards, the trend, ability, onboarding."""
    zone = _zone()

    def load(s: Session) -> dict[str, Any]:
        programme = programmes.by_code(s, code)
        data = history.person(s, member)
        return {"programme": programme, "data": data, "chart": reports.person_chart(data, zone)}

    return page("console_assessment_person.html", zone=zone, **in_session(load))


def _zip(name: str, write: Any) -> Response:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / name
        sig = in_session(lambda s: write(s, out))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.write(out, name)
            z.write(sig, sig.name)
    resp = Response(buf.getvalue(), mimetype="application/zip")
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return resp


@bp.post(f"/{CODE}/staff/{MEMBER}/report")
@committee_only
def person_report(code: str, member: int) -> Response:
    """The person's printable report (PDF) with its .sig, in a ZIP; verifiable on /verify."""
    key, zone, actor = runtime().signing_key, _zone(), signed_in_staff().actor
    def write(s: Session, out: Path) -> Path:
        programmes.by_code(s, code)
        return reports.write_person(s, member, out, key, zone=zone, actor=actor)

    return _zip(f"laporan-asesmen-{code}-{member}.pdf", write)


@bp.get(f"/{CODE}/report")
@committee_only
def unit(code: str) -> Any:
    """The report of a unit (``?unit=``; every unit when empty): charts, gaps, who is due for reassessment."""
    chosen, zone = request.args.get("unit", "")[:255], _zone()

    def load(s: Session) -> dict[str, Any]:
        report = reports.unit_report(s, programmes.by_code(s, code), chosen, zone)
        return {"report": report, "charts": reports.unit_charts(report)}

    return page("console_assessment_unit.html", zone=zone, formats=reports.FORMATS, **in_session(load))


@bp.post(f"/{CODE}/report")
@committee_only
def unit_download(code: str) -> Response:
    """The unit report signed (``format=csv|xlsx|pdf``) with its .sig, in a ZIP."""
    fmt, chosen = request.form.get("format", "pdf"), (request.form.get("unit") or "")[:255]
    if fmt not in reports.FORMATS:
        raise AppError("bad_format", _("format must be csv, xlsx or pdf."), 400)
    key, zone, actor = runtime().signing_key, _zone(), signed_in_staff().actor
    return _zip(f"laporan-unit-{code}.{fmt}", lambda s, out: reports.write_unit(
        s, programmes.by_code(s, code), chosen, fmt, out, key, zone=zone, actor=actor))
