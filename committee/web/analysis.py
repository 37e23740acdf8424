"""The committee's item-analysis page: the HTML report with its plots, CSV/JSON downloads, and a re-run button.

Committee and admin staff only (``ground.staff.auth.staff_required``; the re-run is a CSRF-checked POST): the
report shows every option's points, i.e. the answer key of items the bank will reuse.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from flask import Blueprint, Response, redirect, request, url_for

from ground.concurrency import run_blocking
from ground.errors import AppError
from ground.i18n import _
from ground.runtime import runtime
from ground.staff.auth import csrf_field, staff_required
from scoring.analysis.report import to_csv, to_html
from scoring.analysis.responses import AnalysisInputError
from scoring.store.analysis import exam_report

bp = Blueprint("analysis", __name__, url_prefix="/committee/analysis", template_folder="templates")
COMMITTEE = ("admin", "committee")


def _report(code: str, write_back: bool) -> dict:
    try:
        return run_blocking(exam_report, runtime().db_url, code, write_back=write_back)
    except AnalysisInputError as exc:
        raise AppError("analysis_unavailable", exc.message, 404) from None


@bp.get("/")
@staff_required(*COMMITTEE)
def index() -> Any:
    """Every exam with its finished papers, each linked to its report (the address people try first)."""
    from committee.web.console import in_session, page
    from committee.web.console_results import exam_list

    return page("console_analysis.html", exams=in_session(exam_list))


@bp.get("/<code>")
@staff_required(*COMMITTEE)
def report_page(code: str) -> Response:
    """The report for exam ``code`` (computed now, not stored); ``?format=csv|json`` downloads it."""
    fmt = request.args.get("format", "html")
    if fmt not in ("html", "csv", "json"):
        raise AppError("bad_request", _("format must be html, csv or json"), 400)
    report = _report(code, write_back=False)
    if fmt == "json":
        return Response(json.dumps(report, ensure_ascii=False), mimetype="application/json")
    if fmt == "csv":
        return Response(to_csv(report), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="analysis-{code}.csv"'})
    html = to_html(report, zone=runtime().config.site_zone)
    action = escape(url_for("analysis.store_statistics", code=code))
    form = (f'<form method="post" action="{action}" style="margin:1rem 0">{csrf_field()}'
            f'<button type="submit">{escape(_("Store these statistics in the bank"))}</button> '
            f'<a href="?format=csv">CSV</a> · <a href="?format=json">JSON</a> · '
            f'<a href="{escape(url_for("console_results.exam", code=code))}">{escape(_("Results"))}</a></form>')
    html = html.replace("</h1>", "</h1>" + form, 1)
    return Response(html, mimetype="text/html")


@bp.post("/<code>")
@staff_required(*COMMITTEE)
def store_statistics(code: str) -> Response:
    """Re-run the analysis and write every item's statistics to the bank (replacing this exam's rows)."""
    _report(code, write_back=True)
    return redirect(url_for("analysis.report_page", code=code), code=303)
