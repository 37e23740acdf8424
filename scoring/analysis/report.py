"""Reports of an analysis: the compact JSON of ``--responses --json``, a full JSON, a CSV and an HTML page."""

from __future__ import annotations

import io
import math
from html import escape
from typing import Any

import numpy as np

from ground import clock, zones
from ground.documents import csv_writer
from ground.i18n import _
from scoring.analysis.classical import CURVE_GROUPS, TestStatistics
from scoring.analysis.flags import FlagRules
from scoring.analysis.pipeline import SubtestAnalysis
from scoring.analysis.plots import histogram_svg, option_curves_svg, scatter_svg


def num(x: Any, digits: int = 4) -> float | None:
    """A JSON-safe rounded float (NaN and infinities become null)."""
    if x is None:
        return None
    v = float(x)
    return round(v, digits) if math.isfinite(v) else None


def compact_json(analysis: SubtestAnalysis) -> dict[str, Any]:
    """Exactly the shape promised for ``exam-engine analysis --responses FILE --json``."""
    c, t = analysis.classical, analysis.classical.test
    items = []
    for j, it in enumerate(analysis.rm.items):
        irt = analysis.irt_for(j)
        items.append({
            "id": it.id,
            "p": num(c.p[j]),
            "point_biserial": num(c.point_biserial[j]),
            "corrected_r": num(c.corrected_r[j]),
            "alpha_if_deleted": num(c.alpha_if_deleted[j]),
            "irt": None if irt is None else {k: num(v) for k, v in irt.items()},
        })
    fit = analysis.irt
    return {
        "test": {"n": t.n, "items": t.items, "mean": num(t.mean), "sd": num(t.sd), "kr20": num(t.kr20),
                 "alpha": num(t.alpha), "sem": num(t.sem)},
        "items": items,
        "irt": None if fit is None else {"loglik": num(fit.loglik), "quadrature_points": fit.quadrature_points},
    }


def _options(analysis: SubtestAnalysis, j: int) -> list[dict[str, Any]]:
    it, c = analysis.rm.items[j], analysis.classical
    if not it.options or c.option_counts_ul is None or c.option_counts_curve is None:
        return []
    ul = c.option_counts_ul[j]  # (3, 1 + options)
    curve = c.option_counts_curve[j]  # (G, 1 + options)
    group_tot = curve.sum(axis=1).astype(np.float64)
    ul_tot = ul.sum(axis=1).astype(np.float64)
    key = it.key_index
    rows = []
    names = [(_("(omitted)"), None)] + [(o.label, o) for o in it.options]
    for s, (label, opt) in enumerate(names):
        if s >= ul.shape[1]:
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            share_curve = curve[:, s] / group_tot
            share_ul = ul[:, s] / ul_tot
        rows.append({
            "label": label,
            "points": None if opt is None else opt.points,
            "key": opt is not None and s - 1 == key,
            "count": int(ul[:, s].sum()),
            "lower": num(share_ul[0]), "middle": num(share_ul[1]), "upper": num(share_ul[2]),
            "curve": [num(v) for v in share_curve],
        })
    return rows


def _test_dict(t: TestStatistics) -> dict[str, Any]:
    return {"n": t.n, "items": t.items, "mean": num(t.mean), "sd": num(t.sd), "min": num(t.min), "max": num(t.max),
            "max_possible": num(t.max_possible), "kr20": num(t.kr20), "alpha": num(t.alpha), "sem": num(t.sem),
            "distribution": [{"low": lo, "high": hi, "count": n} for lo, hi, n in t.distribution]}


SMALL_SAMPLE = FlagRules().min_candidates  # below this, reliability and flags are too noisy to act on


def small_sample_warning(n: int) -> str | None:
    """Why statistics of ``n`` candidates must not be acted on, or None when there are enough."""
    if n >= SMALL_SAMPLE:
        return None
    return _("Only %(n)s candidates (fewer than %(min)s): reliability, discrimination and flags are not "
             "dependable; do not annul or relabel items on these figures alone.", n=n, min=SMALL_SAMPLE)


def full_report(analyses: list[SubtestAnalysis], exam: dict[str, Any] | None = None,
                total: TestStatistics | None = None) -> dict[str, Any]:
    """Everything per subtest and item: statistics, IRT, options by score group, flags; ``total``: whole test."""
    subtests = []
    for an in analyses:
        c, t = an.classical, an.classical.test
        items = []
        for j, it in enumerate(an.rm.items):
            items.append({
                "id": it.id, "item_id": it.item_id, "item_version_id": it.item_version_id,
                "max_points": it.max_points, "dichotomous": bool(an.rm.dichotomous[j]), "n": int(c.n[j]),
                "p": num(c.p[j]), "mean": num(c.mean[j]), "point_biserial": num(c.point_biserial[j]),
                "corrected_r": num(c.corrected_r[j]), "alpha_if_deleted": num(c.alpha_if_deleted[j]),
                "upper_lower": num(c.upper_lower[j]), "p_upper": num(c.p_upper[j]), "p_lower": num(c.p_lower[j]),
                "omit_rate": num(c.omit_rate[j]),
                "irt": (lambda d: None if d is None else {k: num(v) for k, v in d.items()})(an.irt_for(j)),
                "options": _options(an, j),
                "model_curve": (lambda v: None if v is None else [num(x) for x in v])(an.model_curve(j)),
                "flags": [{"code": f.code, "message": f.message} for f in an.flags[j]],
            })
        fit = an.irt
        subtests.append({
            "code": an.code, "title": an.title, "warning": small_sample_warning(t.n),
            "test": _test_dict(t),
            "irt": None if fit is None else {
                "loglik": num(fit.loglik), "quadrature_points": fit.quadrature_points, "converged": fit.converged,
                "em_iterations": fit.em_iterations, "newton_iterations": fit.newton_iterations,
                "items": int(fit.fitted.sum())},
            "irt_note": an.irt_note,
            "items": items,
        })
    smallest = min([st["test"]["n"] for st in subtests] + ([total.n] if total is not None else []), default=0)
    return {"exam": exam, "generated_at": clock.now().isoformat(), "warning": small_sample_warning(smallest),
            "total": None if total is None else _test_dict(total), "subtests": subtests}


def abilities_csv(analyses: list[SubtestAnalysis]) -> str:
    """Each candidate's EAP ability and its SD per fitted subtest (rows: candidate, subtest, theta, se)."""
    buf = io.StringIO()
    w = csv_writer(buf, lineterminator="\n")
    w.writerow(["candidate", "subtest", "theta", "se"])
    for an in analyses:
        fit = an.irt
        if fit is None or fit.theta is None or fit.theta_se is None:
            continue
        for cid, th, se in zip(an.rm.candidate_ids, fit.theta, fit.theta_se, strict=True):
            w.writerow([cid, an.code, f"{th:.4f}", f"{se:.4f}"])
    return buf.getvalue()


CSV_COLUMNS = ["subtest", "item", "item_version_id", "n", "p", "point_biserial", "corrected_r", "alpha_if_deleted",
               "upper_lower", "omit_rate", "irt_a", "irt_b", "irt_se_a", "irt_se_b", "flags"]


def to_csv(report: dict[str, Any]) -> str:
    """One row per item, for spreadsheets."""
    buf = io.StringIO()
    w = csv_writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for st in report["subtests"]:
        for it in st["items"]:
            irt = it["irt"] or {}
            w.writerow([st["code"], it["id"], it["item_version_id"] or "", it["n"]] + [
                "" if it[k] is None else it[k]
                for k in ("p", "point_biserial", "corrected_r", "alpha_if_deleted", "upper_lower", "omit_rate")
            ] + ["" if irt.get(k) is None else irt[k] for k in ("a", "b", "se_a", "se_b")]
                + ["; ".join(f["code"] for f in it["flags"])])
    return buf.getvalue()


def _cell(v: Any, digits: int = 2) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return escape(str(v))


STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;max-width:1200px}
h1{font-size:1.4rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:2px solid #4c78a8}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
td,th{border:1px solid #ddd;padding:.25rem .45rem;text-align:right}th{background:#f3f5f8}
td.l,th.l{text-align:left}.plots{display:flex;flex-wrap:wrap;gap:1rem}.flag{color:#b00020}
details{margin:.3rem 0;border:1px solid #eee;padding:.3rem .6rem}summary{cursor:pointer}
.note{color:#555;font-size:.85rem}
.warning{border:2px solid #8a5a00;background:#fff4d6;color:#3d2800;padding:.5rem .8rem}
"""


def heading_of(report: dict[str, Any]) -> str:
    """The report's title: "Item analysis — <exam code>"."""
    exam = report.get("exam") or {}
    return _("Item analysis") + (f" — {exam.get('code')}" if exam.get("code") else "")


def to_html(report: dict[str, Any], title: str | None = None, zone: str = zones.DEFAULT_ZONE) -> str:
    """A self-contained page: summary, histogram, difficulty-vs-discrimination plot, items, option curves."""
    heading = title or heading_of(report)
    return (f'<!doctype html><html lang="id"><head><meta charset="utf-8"><title>{escape(heading)}</title>'
            f"<style>{STYLE}</style></head><body><h1>{escape(heading)}</h1>{report_body(report, zone)}</body></html>")


def report_body(report: dict[str, Any], zone: str = zones.DEFAULT_ZONE) -> str:
    """The report without page or title (the console shows it in its own layout): how to read it, the small-sample
    warning, summary, histogram, difficulty-vs-discrimination plot, items, option curves."""
    generated = zones.local(clock.parse_iso(report["generated_at"]), zone) if report.get("generated_at") else "-"
    out = [f'<p class="note">{escape(_("Generated"))}: {escape(generated)}. '
           f'{escape(_("Difficulty p is the share answering correctly (mean points / maximum for weighted items); discrimination r is the correlation of the item with the total of the other items."))}</p>']  # noqa: E501
    if report.get("warning"):
        out.append(f'<p class="warning" role="alert" id="small-sample">{escape(report["warning"])}</p>')
    if report.get("total"):
        t = report["total"]
        heads = [_("Candidates"), _("Items"), _("Mean"), _("SD"), "KR-20", _("Cronbach's alpha"), _("SEM")]
        vals = [t["n"], t["items"], t["mean"], t["sd"], t["kr20"], t["alpha"], t["sem"]]
        out.append(f"<h2>{escape(_('Whole test'))}</h2><table><tr>"
                   + "".join(f"<th>{escape(str(h))}</th>" for h in heads) + "</tr><tr>"
                   + "".join(f"<td>{_cell(v)}</td>" for v in vals) + "</tr></table>"
                   + histogram_svg([(b["low"], b["high"], b["count"]) for b in t["distribution"]],
                                   _("Score distribution") + " — " + _("whole test"), _("total score"),
                                   _("candidates")))
    group_labels = [_("low")] + [str(g) for g in range(2, CURVE_GROUPS)] + [_("high")]
    for st in report["subtests"]:
        t = st["test"]
        out.append(f"<section><h2>{escape(st['code'])} {escape(st['title'] or '')}</h2>")
        summary = [(_("Candidates"), t["n"]), (_("Items"), t["items"]), (_("Mean"), t["mean"]), (_("SD"), t["sd"]),
                   (_("Min"), t["min"]), (_("Max"), t["max"]), ("KR-20", t["kr20"]),
                   (_("Cronbach's alpha"), t["alpha"]), (_("SEM"), t["sem"])]
        out.append("<table><tr>" + "".join(f"<th>{escape(str(k))}</th>" for k, _v in summary) + "</tr><tr>"
                   + "".join(f"<td>{_cell(v)}</td>" for _k, v in summary) + "</tr></table>")
        if st["irt"]:
            out.append(f'<p class="note">{escape(_("2PL fit"))}: log-likelihood {_cell(st["irt"]["loglik"], 3)}, '
                       f'{st["irt"]["quadrature_points"]} {escape(_("quadrature points"))}, '
                       f'{st["irt"]["items"]} {escape(_("items"))}.</p>')
            if st.get("irt_note"):
                out.append(f'<p class="note">{escape(st["irt_note"])}</p>')
        elif st.get("irt_note"):
            out.append(f'<p class="note">{escape(_("No 2PL fit"))}: {escape(st["irt_note"])}</p>')
        bins = [(b["low"], b["high"], b["count"]) for b in t["distribution"]]
        pts = [(it["p"] if it["p"] is not None else math.nan,
                it["corrected_r"] if it["corrected_r"] is not None else math.nan, it["id"], bool(it["flags"]))
               for it in st["items"]]
        out.append('<div class="plots">'
                   + histogram_svg(bins, _("Score distribution") + f" — {st['code']}", _("total score"),
                                   _("candidates"))
                   + scatter_svg(pts, _("Difficulty and discrimination") + f" — {st['code']}",
                                 _("difficulty p (share correct)"), _("discrimination r (corrected)"))
                   + "</div>")
        flagged = [it for it in st["items"] if it["flags"]]
        if flagged:
            out.append(f"<h3>{escape(_('Items to review'))} ({len(flagged)})</h3><ul>")
            for it in flagged:
                out.append(f"<li><b>{escape(it['id'])}</b>: "
                           + " ".join(f'<span class="flag">{escape(f["message"])}</span>' for f in it["flags"])
                           + "</li>")
            out.append("</ul>")
        cols = [("item", _("Item")), ("n", "n"), ("p", "p"), ("point_biserial", "r pbis"),
                ("corrected_r", _("r corrected")), ("alpha_if_deleted", _("alpha if deleted")),
                ("upper_lower", "D 27%"), ("omit_rate", _("omitted"))]
        out.append("<table><tr>" + "".join(f'<th class="{"l" if k == "item" else ""}">{escape(h)}</th>'
                                           for k, h in cols)
                   + "<th>a</th><th>b</th><th class=\"l\">" + escape(_("flags")) + "</th></tr>")
        for it in st["items"]:
            irt = it["irt"] or {}
            out.append(f'<tr><td class="l">{escape(it["id"])}</td><td>{it["n"]}</td>'
                       + "".join(f"<td>{_cell(it[k])}</td>" for k, _h in cols[2:])
                       + f"<td>{_cell(irt.get('a'))}</td><td>{_cell(irt.get('b'))}</td>"
                       + f'<td class="l flag">{escape(", ".join(f["code"] for f in it["flags"]))}</td></tr>')
        out.append("</table>")
        for it in st["items"]:
            if not it["options"]:
                continue
            curves = [(o["label"] if o["points"] is not None else "—",
                       [v if v is not None else math.nan for v in o["curve"]], bool(o["key"]))
                      for o in it["options"]]
            if it.get("model_curve"):
                curves.append(("2PL", [v if v is not None else math.nan for v in it["model_curve"]], False))
            svg = option_curves_svg(curves, _("Options of") + f" {it['id']}", group_labels,
                                    _("score group (total, fifths)"), _("share choosing"))
            rows = "".join(
                f'<tr><td class="l">{escape(o["label"])}{" ✓" if o["key"] else ""}</td><td>{_cell(o["points"], 1)}'
                f'</td><td>{o["count"]}</td><td>{_cell(o["lower"])}</td><td>{_cell(o["middle"])}</td>'
                f'<td>{_cell(o["upper"])}</td></tr>' for o in it["options"])
            table = (f'<table><tr><th class="l">{escape(_("Option"))}</th><th>{escape(_("points"))}</th>'
                     f'<th>{escape(_("chosen"))}</th><th>{escape(_("lower 27%"))}</th><th>{escape(_("middle"))}</th>'
                     f'<th>{escape(_("upper 27%"))}</th></tr>{rows}</table>')
            mark = f' <span class="flag">⚑ {len(it["flags"])}</span>' if it["flags"] else ""
            out.append(f"<details><summary>{escape(it['id'])}{mark}</summary>"
                       f'<div class="plots">{svg}{table}</div></details>')
        out.append("</section>")
    return "".join(out)
