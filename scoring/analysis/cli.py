"""``exam-engine analysis``: item analysis of an exam in the database, or of a response matrix from elsewhere."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ground.cli_state import CliState, pass_state
from ground.config import write_private
from ground.i18n import _
from scoring.analysis.pipeline import Subtest, analyse
from scoring.analysis.report import abilities_csv, compact_json, full_report, to_csv, to_html
from scoring.analysis.responses import AnalysisInputError, read_key, read_responses_csv

EXIT_BAD_INPUT = 2


def _fail(message: str) -> None:
    click.echo(_("error: %(detail)s", detail=message), err=True)
    sys.exit(EXIT_BAD_INPUT)


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        write_private(out, text.encode("utf-8"))
        click.echo(_("written: %(path)s", path=str(out)), err=True)


def _render(report: dict[str, Any], fmt: str, zone: str) -> str:
    if fmt == "html":
        return to_html(report, zone=zone)
    if fmt == "csv":
        return to_csv(report)
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


def _text_summary(report: dict[str, Any]) -> str:
    lines = [f"! {report['warning']}"] if report.get("warning") else []
    for st in report["subtests"]:
        t = st["test"]
        fmt = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        lines.append(f"n={t['n']} items={t['items']} mean={fmt(t['mean'])} sd={fmt(t['sd'])} "
                     f"alpha={fmt(t['alpha'])} kr20={fmt(t['kr20'])} sem={fmt(t['sem'])}")
        lines.append(f"{'item':<16} {'p':>6} {'r_pbis':>7} {'r_corr':>7} {'a':>7} {'b':>7}  flags")
        for it in st["items"]:
            irt = it["irt"] or {}
            lines.append(f"{it['id'][:16]:<16} {fmt(it['p']):>6} {fmt(it['point_biserial']):>7} "
                         f"{fmt(it['corrected_r']):>7} {fmt(irt.get('a')):>7} {fmt(irt.get('b')):>7}  "
                         + ", ".join(f["code"] for f in it["flags"]))
        for it in st["items"]:
            for f in it["flags"]:
                lines.append(f"- {it['id']}: {f['message']}")
    return "\n".join(lines) + "\n"


@click.command("analysis")
@click.option("--responses", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV: header, candidate id column, one column per item (0/1 or points; letters with --key).")
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV 'item,key[,options]' or 'item,option,points' to score option letters.")
@click.option("--exam", "exam_code", default=None, help="Analyse this exam's finished papers from the database.")
@click.option("--json", "as_json", is_flag=True, help="Print the compact JSON summary (with --responses).")
@click.option("--format", "fmt", type=click.Choice(["html", "csv", "json"]), default=None,
              help="Full report format (default json for --exam, a text table for --responses).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write to FILE.")
@click.option("--abilities", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write each candidate's EAP ability per fitted subtest to this CSV.")
@click.option("--no-irt", is_flag=True, help="Skip the 2PL fit.")
@click.option("--no-write-back", is_flag=True, help="With --exam: do not store the statistics in the bank.")
@pass_state
def analysis_cmd(state: CliState, responses: Path | None, key: Path | None, exam_code: str | None, as_json: bool,
                 fmt: str | None, out: Path | None, abilities: Path | None, no_irt: bool,
                 no_write_back: bool) -> None:
    """Item analysis: difficulty, discrimination, reliability, distractors, a 2PL fit and flags."""
    if (responses is None) == (exam_code is None):
        _fail(_("give exactly one of --responses FILE.csv or --exam CODE"))
    if key is not None and responses is None:
        _fail(_("--key only applies to --responses"))
    if as_json and fmt not in (None, "json"):
        _fail(_("--json and --format %(fmt)s contradict each other", fmt=fmt))
    try:
        if responses is not None:
            rm = read_responses_csv(responses, read_key(key) if key is not None else None)
            analyses = analyse(rm, [Subtest("all", "", list(range(rm.k)))], irt=not no_irt)
            if abilities is not None:
                write_private(abilities, abilities_csv(analyses).encode("utf-8"))
            if as_json:
                _emit(json.dumps(compact_json(analyses[0]), ensure_ascii=False, indent=2) + "\n", out)
                return
            report = full_report(analyses, {"source": str(responses)})
            _emit(_render(report, fmt, state.config.site_zone) if fmt else _text_summary(report), out)
            return
        from scoring.store.analysis import exam_analysis

        url = state.init_db()
        report, analyses = exam_analysis(url, exam_code or "", write_back=not no_write_back, irt=not no_irt)
        if abilities is not None:
            write_private(abilities, abilities_csv(analyses).encode("utf-8"))
        _emit(_render(report, "json" if as_json else (fmt or "json"), state.config.site_zone), out)
        if report.get("warning"):
            click.echo(report["warning"], err=True)
        if not no_write_back:
            click.echo(_("item statistics stored for %(count)d items of exam %(code)s",
                         count=sum(len(st["items"]) for st in report["subtests"]), code=report["exam"]["code"]),
                       err=True)
    except AnalysisInputError as exc:
        _fail(exc.message)
