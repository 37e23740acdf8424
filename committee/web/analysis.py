"""The committee's item-analysis page: the HTML report with its plots, CSV/JSON downloads, and a re-run button.

The report is kept sealed once computed (``scoring.store.analysis_reports``) and served from there until another
paper finishes.

Committee and admin staff only (``ground.staff.auth.staff_required``; the re-run is a CSRF-checked POST): the
report shows every option's points, i.e. the answer key of items the bank will reuse.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, redirect, request, url_for
from markupsafe import Markup
from sqlalchemy.orm import Session

from ground.concurrency import run_blocking
from ground.errors import AppError
from ground.i18n import _, current_locale
from ground.jobs import run_apart
from ground.runtime import runtime
from ground.staff.auth import staff_required
from scoring.analysis.report import heading_of, report_body, to_csv
from scoring.analysis.responses import AnalysisInputError
from scoring.store.analysis_reports import committee_report, current_report, kept_times

bp = Blueprint("analysis", __name__, url_prefix="/committee/analysis", template_folder="templates")
COMMITTEE = ("admin", "committee")


def _report(code: str, store_statistics: bool) -> dict:
    """The kept report, or the analysis in a process of its own while serving: a whole exam's must not slow a live
    room's answers."""
    db_url = runtime().db_url
    try:
        kept = None if store_statistics else run_blocking(current_report, db_url, code)
        return kept if kept is not None else run_apart(committee_report, db_url, code,
                                                       store_statistics=store_statistics)
    except AnalysisInputError as exc:
        raise AppError("analysis_unavailable", exc.message, 404) from None


@bp.get("/")
@staff_required(*COMMITTEE)
def index() -> Any:
    """Every exam with its finished papers, each linked to its report (the address people try first), and whether
    that report opens at once (kept and current) or is computed when opened."""
    from committee.web.console import in_session, page
    from committee.web.console_results import exam_list

    def load(s: Session) -> list[dict[str, Any]]:
        kept = kept_times(s, current_locale())
        return [{**e, "kept": kept.get(e["code"])} for e in exam_list(s)]

    return page("console_analysis.html", exams=in_session(load))


@bp.get("/<code>")
@staff_required(*COMMITTEE)
def report_page(code: str) -> Any:
    """The report for exam ``code`` in the console's layout (the kept one while no paper has finished since, else
    computed now; the small-sample warning first); ``?format=csv|json`` downloads it."""
    fmt = request.args.get("format", "html")
    if fmt not in ("html", "csv", "json"):
        raise AppError("bad_request", _("format must be html, csv or json"), 400)
    report = _report(code, store_statistics=False)
    if fmt == "json":
        return Response(json.dumps(report, ensure_ascii=False), mimetype="application/json")
    if fmt == "csv":
        return Response(to_csv(report), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="analysis-{code}.csv"'})
    from committee.web.console import page

    body = Markup(report_body(report, zone=runtime().config.site_zone))  # report_body escapes every value
    return page("console_analysis_report.html", code=code, heading=heading_of(report), report_html=body,
                warning=report.get("warning"))  # type: ignore[return-value]


@bp.post("/<code>")
@staff_required(*COMMITTEE)
def store_statistics(code: str) -> Response:
    """Re-run the analysis and write every item's statistics to the bank (replacing this exam's rows)."""
    _report(code, store_statistics=True)
    return redirect(url_for("analysis.report_page", code=code), code=303)
