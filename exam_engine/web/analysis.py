"""The committee's item-analysis page: the HTML report with its plots, CSV/JSON downloads, and a re-run button.

Until staff accounts exist (another issue), the page answers only direct requests from this machine (not
through a reverse proxy): the report shows every option's points, i.e. the answer key of items the bank
will reuse.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, redirect, request, url_for

from exam_engine.concurrency import run_blocking
from exam_engine.errors import AppError
from exam_engine.i18n import _
from exam_engine.runtime import runtime
from scoring.analysis.report import to_csv, to_html
from scoring.analysis.responses import AnalysisInputError
from scoring.analysis.store import exam_report

bp = Blueprint("analysis", __name__, url_prefix="/committee/analysis")
LOCAL = {"127.0.0.1", "::1", "localhost"}


PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


@bp.before_request
def _staff_only() -> None:
    """Interim guard (no staff login yet): direct local requests only. Replace with the staff check when it lands.

    Behind nginx every request arrives from 127.0.0.1, so anything carrying proxy headers is refused too.
    """
    if request.remote_addr not in LOCAL or any(h in request.headers for h in PROXY_HEADERS):
        abort(403)


def _report(code: str, write_back: bool) -> dict:
    try:
        return run_blocking(exam_report, runtime().db_url, code, write_back=write_back)
    except AnalysisInputError as exc:
        raise AppError("analysis_unavailable", exc.message, 404) from None


@bp.get("/<code>")
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
    html = to_html(report)
    form = (f'<form method="post" action="{url_for("analysis.store_statistics", code=code)}" '
            f'style="margin:1rem 0"><button type="submit">{_("Store these statistics in the bank")}</button> '
            f'<a href="?format=csv">CSV</a> · <a href="?format=json">JSON</a></form>')
    html = html.replace("</h1>", "</h1>" + form, 1)
    return Response(html, mimetype="text/html")


@bp.post("/<code>")
def store_statistics(code: str) -> Response:
    """Re-run the analysis and write every item's statistics to the bank (replacing this exam's rows)."""
    _report(code, write_back=True)
    return redirect(url_for("analysis.report_page", code=code), code=303)
