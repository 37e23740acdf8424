"""The console's results pages: every paper of an exam, rankings with the tie-break chain, annulment with a preview
of what it does to whom, the signed SKD announcement downloads, and the audit check.

Each page calls what ``exam-engine results …`` and ``audit check`` call (scoring.store.announcement, rescoring,
committee.audit_check); looking stores nothing, every change is a CSRF-checked POST audited under the staff member.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from candidate.exams import get_exam
from committee.jobs import annul_and_rescore, annulment_preview, audit_check_lines, store_final
from committee.web import uploads
from committee.web.console import committee_only, done, in_session, page
from committee.web.results import export_bundle, zip_download
from ground import db, zones
from ground.errors import AppError
from ground.i18n import _
from ground.jobs import run_apart
from ground.models import AuditEvent, Candidate, Exam, Paper, Room
from ground.models.scoring import SkbScore
from ground.runtime import runtime
from ground.staff.auth import signed_in_staff
from ground.tables import TableError, cell_text, read_table
from scoring.grading import fmt_score
from scoring.integration import final_tie_notes
from scoring.points import ANNUL_MODES
from scoring.presets import RulesError
from scoring.selection import SheetError, tie_notes
from scoring.store.announcement import (
    PapersStillOpen,
    announce_skd,
    exam_rules,
    open_papers,
    state_name,
    state_names,
)
from scoring.store.final import compute_final, exam_integration, import_skb
from scoring.store.rescoring import RescoreError, shown_items

bp = Blueprint("console_results", __name__, url_prefix="/committee/results", template_folder="templates")
CODE = "<code>"
FORMATS = ("pdf", "xlsx", "csv")
RESULT_ROWS = 500  # papers per page of an exam's results (100,000 on one page: 30 MB of HTML, built in 19 s)
RANKED_FORMATIONS = 20  # formations per page of the rankings (100,000 candidates on one page: 22 MB, 13 s)
OPEN_SHOWN = 100  # unfinished papers named on a page; the count is always the whole


def _looked(s: Session, exam: Exam) -> list[Any]:
    """The announcement as it stands (nothing stored); a rule the scores break is the page's error."""
    try:
        return announce_skd(s, exam, store=False)
    except RulesError as exc:
        raise AppError("rules_error", str(exc), 409) from None


def exam_list(s: Session) -> list[dict[str, Any]]:
    """Every exam, newest first, with its candidates and finished papers."""
    finished = dict(s.execute(select(Paper.exam_id, func.count()).where(Paper.state == "finished")
                              .group_by(Paper.exam_id)).all())
    seated = dict(s.execute(select(Candidate.exam_id, func.count()).group_by(Candidate.exam_id)).all())
    return [{"code": e.code, "title": e.title, "candidates": seated.get(e.id, 0), "finished": finished.get(e.id, 0)}
            for e in s.scalars(select(Exam).order_by(Exam.created_at.desc(), Exam.code))]


def _results(s: Session, code: str, room: str) -> dict[str, Any]:
    """Every candidate of the exam (or of one room/session): paper state, score per subtest, pass/fail, code."""
    exam = get_exam(s, code)
    rules = exam_rules(exam)
    states = dict(s.execute(select(Paper.candidate_id, Paper.state).where(Paper.exam_id == exam.id)).all())
    rooms = dict(s.execute(select(Room.id, Room.code).where(Room.exam_id == exam.id).order_by(Room.code)).all())
    rows = []
    names, no_paper = state_names(), _("no paper")
    for f in _looked(s, exam):
        for r in f.rows:
            cand = r.entrant.ref.candidate
            room_code = rooms.get(cand.room_id, "-")
            if room and room_code != room:
                continue
            state = states.get(cand.id)
            rows.append({"no": cand.participant_no, "name": cand.name, "room": room_code, "formation": f.label,
                         "state": names.get(state, state) if state else no_paper, "scores": r.entrant.scores or {},
                         "total": r.total, "passed": r.passed if r.entrant.scores is not None else None,
                         "code": r.code, "reasons": r.reasons})
    rows.sort(key=lambda x: x["no"])
    return {"exam": {"code": exam.code, "title": exam.title}, "subtests": rules.subtests, "rows": rows,
            "rooms": sorted(rooms.values()), "room": room, "open": _open(s, exam)}


def _page_of(items: list[Any], number: int, size: int) -> tuple[list[Any], dict[str, int]]:
    """Page ``number`` (from 1, clamped to the pages there are) of ``items``, and where it sits among them."""
    pages = max(1, -(-len(items) // size))
    number = min(max(number, 1), pages)
    first = (number - 1) * size
    shown = items[first : first + size]
    return shown, {"page": number, "pages": pages, "first": first + 1 if shown else 0, "last": first + len(shown),
                   "total": len(items)}


def _page_number() -> int:
    """``?page=`` as asked; anything that is not a number is the first page."""
    try:
        return int(request.args.get("page", "1"))
    except ValueError:
        return 1


def _few_open(data: dict[str, Any]) -> dict[str, Any]:
    data["open_total"] = len(data["open"])
    data["open"] = data["open"][:OPEN_SHOWN]
    return data


def results_view(db_url: str, code: str, room: str, number: int) -> dict[str, Any]:
    """One page of the exam's results, computed apart (``ground.jobs``): ranking a whole exam takes seconds."""
    with db.session_scope(db_url) as s:
        data = _results(s, code, room)
    data["rows"], data["paging"] = _page_of(data["rows"], number, RESULT_ROWS)
    return _few_open(data)


def rankings_view(db_url: str, code: str, number: int) -> dict[str, Any]:
    """One page of formations of the rankings, computed apart, each row plain data for the page."""
    with db.session_scope(db_url) as s:
        data = _rankings(s, code)
    data["formations"], data["paging"] = _page_of(data["formations"], number, RANKED_FORMATIONS)
    for f in data["formations"]:
        f["rows"] = [({"rank": r.rank, "total": r.total, "code": r.code, "advances": r.advances,
                       "entrant": {"participant_no": r.entrant.participant_no, "name": r.entrant.name,
                                   "scores": dict(r.entrant.scores or {})}}, note) for r, note in f["rows"]]
    return _few_open(data)


def _open(s: Session, exam: Exam) -> list[dict[str, str]]:
    return [{"participant_no": p.participant_no, "name": p.name, "room": p.room, "state": state_name(p.state)}
            for p in open_papers(s, exam)]


@bp.get("/")
@committee_only
def index() -> Any:
    """Every exam with how many papers are finished: the way into its results."""
    return page("console_results.html", exams=in_session(exam_list))


def _exam_page(code: str, status: int = 200, error: str | None = None) -> Any:
    room = request.args.get("room", "")
    data = run_apart(results_view, runtime().db_url, code, room, _page_number())
    return page("console_results_exam.html", status=status, error=error, formats=FORMATS, **data)


@bp.get(f"/{CODE}")
@committee_only
def exam(code: str) -> Any:
    """The exam's results as they stand now (``?room=`` narrows to one room/session); nothing is stored."""
    return _exam_page(code)


@bp.post(f"/{CODE}/announcement")
@committee_only
def announcement(code: str) -> Any:
    """The signed SKD announcement (``format=pdf|xlsx|csv``) as a ZIP with its .sig; refused, naming every open
    paper, while a paper of the exam is unfinished."""
    fmt = request.form.get("format", "pdf")
    if fmt not in FORMATS:
        return _exam_page(code, 400, _("format must be csv, xlsx or pdf."))
    rt = runtime()
    try:
        name, data = run_apart(export_bundle, rt.db_url, code, "skd", fmt, signed_in_staff().actor,
                               rt.config.site_zone)
    except PapersStillOpen as exc:
        return _exam_page(code, 409, str(exc))
    except RulesError as exc:
        return _exam_page(code, 409, str(exc))
    return zip_download(name, data)


def _rankings(s: Session, code: str) -> dict[str, Any]:
    exam = get_exam(s, code)
    rules = exam_rules(exam)
    formations = [{"label": f.label, "quota": f.quota, "slots": f.slots,
                   "rows": list(zip(f.rows, tie_notes(f, rules.tie_break), strict=True))}
                  for f in _looked(s, exam)]
    return {"exam": {"code": exam.code, "title": exam.title}, "subtests": rules.subtests,
            "tie_break": rules.tie_break, "multiplier": rules.quota_multiplier, "formations": formations,
            "open": _open(s, exam)}


@bp.get(f"/{CODE}/rankings")
@committee_only
def rankings(code: str) -> Any:
    """Rankings per formation with quota, slots and why each equal total was ordered as it is."""
    return page("console_results_rankings.html", **run_apart(rankings_view, runtime().db_url, code, _page_number()))


def _annul_form(s: Session, code: str) -> dict[str, Any]:
    exam = get_exam(s, code)
    return {"exam": {"code": exam.code, "title": exam.title}, "items": shown_items(s, exam), "modes": ANNUL_MODES}


def _annul_input() -> tuple[list[int], str, str]:
    """The chosen versions, mode and reason, or AppError with what to fix (translated)."""
    try:
        versions = sorted({int(v) for v in request.form.getlist("version")})
    except ValueError:
        versions = []
    mode, reason = request.form.get("mode", ""), (request.form.get("reason") or "").strip()
    if not versions:
        raise AppError("bad_request", _("Choose at least one item to annul."), 400, field="version")
    if mode not in ANNUL_MODES:
        raise AppError("bad_request", _("Choose award or drop."), 400, field="mode")
    if not reason:
        raise AppError("bad_request", _("Give the reason; it is published with the rescoring."), 400, field="reason")
    return versions, mode, reason


def _annul_page(code: str, status: int = 200, **extra: Any) -> Any:
    form = {"versions": request.form.getlist("version"), "mode": request.form.get("mode", ""),
            "reason": request.form.get("reason", request.args.get("reason", "")[:500])}  # an objection's, by link
    return page("console_results_annul.html", status=status, form=form,
                **in_session(lambda s: _annul_form(s, code)), **extra)


@bp.get(f"/{CODE}/annul")
@committee_only
def annul_form(code: str) -> Any:
    """Choose items to annul (award or drop) and give the reason; the next step previews the rescoring."""
    return _annul_page(code)


@bp.post(f"/{CODE}/annul/preview")
@committee_only
def annul_preview(code: str) -> Any:
    """What the annulment would change, candidate by candidate, computed by the real rescoring and rolled back."""
    actor = signed_in_staff().actor
    try:
        versions, mode, reason = _annul_input()
        report = run_apart(annulment_preview, runtime().db_url, code, versions, mode, reason, actor)
    except AppError as err:
        return _annul_page(code, err.status, error=err.message)
    except RescoreError as exc:
        return _annul_page(code, 400, error=str(exc))
    return _annul_page(code, preview=report, confirm={"versions": versions, "mode": mode, "reason": reason})


@bp.post(f"/{CODE}/annul")
@committee_only
def annul(code: str) -> Any:
    """Annul and rescore at once (as ``exam-engine results annul``), audited under the staff member's name."""
    actor = signed_in_staff().actor
    try:
        versions, mode, reason = _annul_input()
        changed, checked = run_apart(annul_and_rescore, runtime().db_url, code, versions, mode, reason, actor)
    except AppError as err:
        return _annul_page(code, err.status, error=err.message)
    except RescoreError as exc:
        return _annul_page(code, 400, error=str(exc))
    return done(_("Annulled %(n)s item version(s); %(changed)s of %(checked)s results changed.", n=len(versions),
                  changed=changed, checked=checked), url_for("console_results.exam", code=code))


LOG_PAGE = 200


def _log(s: Session, exam: str | None, actor: str, action: str, since: datetime | None = None,
         until: datetime | None = None) -> list[dict[str, Any]]:
    """The newest audit rows matching the filters (an exam's code, an actor, an action prefix, a time range)."""
    query = select(AuditEvent, Exam.code).outerjoin(Exam, Exam.id == AuditEvent.exam_id)
    if exam:
        query = query.where(Exam.code == exam)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    rows = s.execute(query.order_by(AuditEvent.id.desc()).limit(LOG_PAGE)).all()
    return [{"id": e.id, "at": e.at, "actor": e.actor, "action": e.action, "exam": code or "",
             "reason": e.reason or "", "details": e.details or {}, "sealed": bool(e.hash)} for e, code in rows]


def _day_start(raw: str, zone: str, field: str) -> datetime | None:
    """The start (00:00 in the site's zone, as UTC) of a day typed YYYY-MM-DD; AppError naming the field."""
    if not raw:
        return None
    try:
        return zones.parse_local(date.fromisoformat(raw).isoformat() + "T00:00", zone)
    except ValueError:
        raise AppError("bad_request", _("'%(v)s' is not a date (YYYY-MM-DD).", v=raw[:32]), 400,
                       field=field) from None


@bp.get("/audit")
@committee_only
def audit_page() -> Any:
    """The audit log filtered by exam, actor, action and days (from/to, in the site's zone), and the ``exam-engine
    audit check`` button (read only, changes nothing)."""
    code = request.args.get("exam") or None
    actor = (request.args.get("actor") or "").strip()[:128]
    action = (request.args.get("action") or "").strip()[:64]
    since_raw, until_raw = (request.args.get("from") or "").strip(), (request.args.get("to") or "").strip()
    zone = runtime().config.site_zone
    error, status = None, 200
    try:
        since = _day_start(since_raw, zone, "from")
        last = _day_start(until_raw, zone, "to")
        until = last + timedelta(days=1) if last is not None else None
    except AppError as err:
        since = until = None
        error, status = err.message, err.status
    lines, ok = None, None
    if request.args.get("run"):
        lines, ok = run_apart(audit_check_lines, runtime().db_url, code)
    log = [] if error else in_session(lambda s: _log(s, code, actor, action, since, until))
    return page("console_results_audit.html", status=status, error=error, exams=in_session(exam_list), exam=code,
                lines=lines, ok=ok, actor=actor, action=action, since=since_raw, until=until_raw, zone=zone,
                log=log, limit=LOG_PAGE)


@bp.app_template_filter("score")
def score(value: Any) -> str:
    """A score as announcements print it (no trailing .0), '-' for none."""
    return "-" if value is None else fmt_score(value)


SKB_KIND = "skb"


def _final_view(s: Session, code: str) -> dict[str, Any]:
    """The integrated selection as it stands (nothing stored) and how many SKB scores are in."""
    exam = get_exam(s, code)
    try:
        formations = compute_final(s, exam, store=False)
    except (RulesError, ValueError) as exc:
        raise AppError("rules_error", str(exc), 409) from None
    skb = s.scalar(select(func.count()).select_from(SkbScore).where(SkbScore.exam_id == exam.id)) or 0
    rules = exam_integration(exam)
    return {"exam": {"code": exam.code, "title": exam.title}, "formations": formations, "skb": skb,
            "decimals": rules.decimals, "tie_break": rules.tie_break,
            "notes": {f.label: final_tie_notes(f, rules.tie_break) for f in formations}}


def final_view(db_url: str, code: str) -> dict[str, Any]:
    """The final page's data computed apart (``ground.jobs``): integrating a whole exam takes seconds. Its rows go
    back without their database refs (the page shows none of them)."""
    with db.session_scope(db_url) as s:
        data = _final_view(s, code)
    for f in data["formations"]:
        f.rows = [replace(r, entrant=replace(r.entrant, ref=None)) for r in f.rows]
    return data


def _final_page(code: str, status: int = 200, **extra: Any) -> Any:
    return page("console_results_final.html", status=status, formats=FORMATS,
                **run_apart(final_view, runtime().db_url, code), **extra)


@bp.get(f"/{CODE}/final")
@committee_only
def final(code: str) -> Any:
    """SKB scores and GPA in, the final integration as it stands, storing it and its signed announcement."""
    return _final_page(code)


def _skb_rows(path: Path) -> list[dict[str, str]]:
    table = read_table(path)
    return [{h.lower(): cell_text(v) for h, v in row.items()} for _n, row in table.rows]


@bp.post(f"/{CODE}/final/preview")
@committee_only
def skb_preview(code: str) -> Any:
    """The SKB sheet checked by the very import (then rolled back): every bad cell by row and column, or the rows."""
    file = request.files.get("file")
    actor = signed_in_staff().actor
    try:
        uploads.discard(SKB_KIND)
        upload_id = uploads.keep(SKB_KIND, file.filename if file else "", file.read() if file else b"", exam=code)
        path, kept = uploads.pending(SKB_KIND, upload_id)

        def check_sheet(s: Session) -> int:
            savepoint = s.begin_nested()
            try:
                return import_skb(s, get_exam(s, code), read_table(path), f"import:{kept['name']}", actor=actor)
            finally:
                savepoint.rollback()

        count = in_session(check_sheet)
    except AppError as err:
        uploads.discard(SKB_KIND)
        return _final_page(code, err.status, error=err.message)
    except SheetError as exc:
        uploads.discard(SKB_KIND)
        return _final_page(code, 400, error=_("%(count)s problem(s); nothing was changed.", count=len(exc.problems)),
                           problems=exc.problems)
    except TableError as exc:
        uploads.discard(SKB_KIND)
        return _final_page(code, 400, error=str(exc))
    return _final_page(code, upload_id=upload_id, preview_rows=_skb_rows(path), preview_count=count)


@bp.post(f"/{CODE}/final/commit")
@committee_only
def skb_commit(code: str) -> Any:
    """Import the previewed SKB sheet (as ``exam-engine results import-skb``), audited under the member's name."""
    actor = signed_in_staff().actor
    try:
        path, kept = uploads.pending(SKB_KIND, request.form.get("upload_id", ""))
        count = in_session(lambda s: import_skb(s, get_exam(s, code), read_table(path), f"import:{kept['name']}",
                                                actor=actor))
    except AppError as err:
        return _final_page(code, err.status, error=err.message)
    except (SheetError, TableError) as exc:
        return _final_page(code, 400, error=str(exc))
    uploads.discard(SKB_KIND)
    return done(_("%(n)s SKB score(s) imported.", n=count), url_for("console_results.final", code=code))


@bp.post(f"/{CODE}/final/store")
@committee_only
def final_store(code: str) -> Any:
    """Store the final selection (replacing the exam's), as ``exam-engine results final``, audited by name."""
    actor = signed_in_staff().actor
    try:
        rows = run_apart(store_final, runtime().db_url, code, actor)
    except (RulesError, ValueError) as exc:
        return _final_page(code, 409, error=str(exc))
    return done(_("Final results stored for %(n)s candidate(s).", n=rows), url_for("console_results.final", code=code))


@bp.post(f"/{CODE}/final/announcement")
@committee_only
def final_announcement(code: str) -> Any:
    """The signed final announcement (``format=pdf|xlsx|csv``) as a ZIP with its .sig; the results are stored."""
    fmt = request.form.get("format", "pdf")
    if fmt not in FORMATS:
        return _final_page(code, 400, error=_("format must be csv, xlsx or pdf."))
    rt = runtime()
    try:
        name, data = run_apart(export_bundle, rt.db_url, code, "final", fmt, signed_in_staff().actor,
                               rt.config.site_zone)
    except (RulesError, ValueError) as exc:
        return _final_page(code, 409, error=str(exc))
    return zip_download(name, data)


@bp.app_template_filter("tie_key")
def tie_key(key: str) -> str:
    """A final tie-break key as the committee reads it (a subtest's code stays as it is)."""
    names = {"final": _("final score"), "skd_total": _("SKD total"), "skb": _("SKB score"), "gpa": _("GPA"),
             "age": _("age (the older first)")}
    return names.get(key, key)


@bp.app_template_filter("tie_value")
def tie_value(value: Any) -> str:
    """A tie-break value as compared: a score without a trailing .0, a birth date, '-' for none (ranks last)."""
    if value is None:
        return "-"
    if isinstance(value, int | float):
        return fmt_score(value)
    return str(value)


@bp.app_template_filter("decimal")
def decimal_places(value: Any, places: int = 3) -> str:
    """A scaled score with the integration's decimals, '-' for none."""
    return "-" if value is None else f"{value:.{places}f}"
