"""Reports per unit (distribution and trend per competency, gaps against the standard, who is due for reassessment),
each person's printable report, and their signed files (CSV/XLSX/PDF + detached Ed25519 .sig)."""

from __future__ import annotations

import io
import math
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from assessment import history as histories
from assessment.programmes import competencies, in_target
from assessment.staff import invited
from ground import audit, clock, zones
from ground.config import write_private
from ground.documents import pdf_plain, pdf_text
from ground.errors import AppError
from ground.i18n import _
from ground.models import Exam
from ground.models.assessment import AssessmentProgramme, AssessmentSitting
from ground.tables import write_rows
from scoring.analysis.plots import histogram_svg, trend_svg
from scoring.grading import fmt_score
from scoring.signing import key_id, sign_file

FORMATS = ("csv", "xlsx", "pdf")


def add_months(when: datetime, months: int) -> datetime:
    """The same day ``months`` later (the last day of a shorter month)."""
    month0 = when.month - 1 + months
    year, month = when.year + month0 // 12, month0 % 12 + 1
    for day in (when.day, 30, 29, 28):
        try:
            return when.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def unit_report(session: Session, programme: AssessmentProgramme, unit: str = "", zone: str = zones.DEFAULT_ZONE
                ) -> dict[str, Any]:
    """Staff of ``unit`` (every unit when empty) invited to the programme: per competency the trend of the mean over
    the sittings, the latest distribution, the gap to the standard; per person the latest scores and whether they are
    due for reassessment (never sat, or their last sitting is ``period_months`` ago by the clock)."""
    comps = competencies(programme)
    people = [p for p in invited(session, programme)
              if (not unit or p["unit"] == unit) and in_target(programme, p["unit"], p["position"])]
    sittings = list(session.execute(
        select(AssessmentSitting, Exam.code).join(Exam, Exam.id == AssessmentSitting.exam_id)
        .where(AssessmentSitting.programme_id == programme.id)
        .order_by(AssessmentSitting.held_at, AssessmentSitting.id)))
    labels = [zones.local(s.held_at, zone, "%Y-%m-%d") for s, _code in sittings]
    exam_index = {code: i for i, (_s, code) in enumerate(sittings)}
    scores: dict[str, list[list[float]]] = {c.code: [[] for _s in sittings] for c in comps}
    now = clock.now()
    rows = []
    for p in people:
        mine = [e for e in histories.entries(session, p["id"]) if e["programme"] == programme.code]
        for e in mine:
            if e["total"] is None or e["exam"] not in exam_index:
                continue
            for s in e["scores"]:
                scores[s["code"]][exam_index[e["exam"]]].append(s["score"])
        last = histories.latest(mine)
        sat = histories.last_sat(mine, programme.code)
        due_at = add_months(sat, programme.period_months) if sat else None
        rows.append({**p, "latest": last, "last_sat": sat, "due_at": due_at, "due": due_at is None or now >= due_at})
    out_comps = []
    for c in comps:
        means = [_mean(v) for v in scores[c.code]]
        latest_i = max((i for i, v in enumerate(scores[c.code]) if v), default=None)
        latest_scores = scores[c.code][latest_i] if latest_i is not None else []
        below = sum(1 for v in latest_scores if v < c.standard)
        mean = _mean(latest_scores)
        out_comps.append({"code": c.code, "name": c.name, "standard": c.standard, "means": means,
                          "latest": latest_scores, "n": len(latest_scores), "below": below,
                          "mean": mean, "gap": None if mean is None else round(mean - c.standard, 2)})
    return {"programme": programme, "unit": unit, "labels": labels, "competencies": out_comps, "people": rows,
            "due": [r for r in rows if r["due"]], "units": sorted({p["unit"] for p in invited(session, programme)
                            if in_target(programme, p["unit"], p["position"])})}


def _bins(values: list[float], top: float, count: int = 8) -> list[tuple[float, float, int]]:
    hi = max([top, *values, 1.0])
    step = math.ceil(hi / count) or 1
    bins = [(i * step, (i + 1) * step, 0) for i in range(count)]
    out = []
    for lo, up, _n in bins:
        out.append((float(lo), float(up), sum(1 for v in values if lo <= v < up or (up == bins[-1][1] and v == up))))
    return out


def unit_charts(report: dict[str, Any]) -> dict[str, str]:
    """Server-rendered SVG: the trend of the mean per competency (standards dashed) and each latest distribution."""
    charts = {"trend": trend_svg([(c["name"], c["means"], c["standard"]) for c in report["competencies"]],
                                 _("Mean score per sitting"), report["labels"], _("Sitting"), _("Mean score"))}
    for c in report["competencies"]:
        charts[c["code"]] = histogram_svg(_bins(c["latest"], c["standard"]),
                                          _("%(name)s: latest sitting", name=c["name"]), _("Score"), _("People"),
                                          width=360, height=220, marks=((c["standard"], _("Standard")),))
    return charts


def person_chart(data: dict[str, Any], zone: str = zones.DEFAULT_ZONE) -> str:
    """The person's score per competency over their sittings, standards dashed."""
    labels = [zones.local(e["held_at"], zone, "%Y-%m-%d") for e in data["sittings"]]
    series = []
    for code, t in data["trend"].items():
        by_time = dict(t["points"])
        series.append((t["name"] or code, [by_time.get(e["held_at"]) for e in data["sittings"]], t["standard"]))
    return trend_svg(series, _("Score per competency"), labels, _("Sitting"), _("Score"))


def _pdf(out: Path, title: str, subtitle: str, blocks: list[tuple[str, list[str], list[list[str]]]],
         signer: str) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    h1 = ParagraphStyle("h1", parent=styles["Title"], fontSize=14, leading=18)
    h2 = ParagraphStyle("h2", parent=styles["Heading3"], fontSize=10, spaceBefore=8, spaceAfter=4)
    small = ParagraphStyle("small", parent=styles["Normal"], fontSize=8, leading=10)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm,
                            bottomMargin=14 * mm, title=title, author="exam-engine", subject=subtitle)
    story: list[Any] = [Paragraph(pdf_text(title), h1), Paragraph(pdf_text(subtitle), styles["Normal"]),
                        Spacer(1, 4 * mm)]
    for heading, header, rows in blocks:
        story.append(Paragraph(pdf_text(heading), h2))
        if not rows:
            story.append(Paragraph("-", small))
            continue
        table = Table([[pdf_plain(c) for c in header]] + [[pdf_plain(c) for c in r] for r in rows], repeatRows=1,
                      hAlign="LEFT")
        table.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7.5), ("FONT", (0, 1), (-1, -1), "Helvetica", 7.5),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde3ea")), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ]))
        story.append(table)
    story += [Spacer(1, 5 * mm), Paragraph(pdf_text(signer), small)]
    doc.build(story)
    write_private(out, buf.getvalue())


def _signer(key: Ed25519PrivateKey, out: Path) -> str:
    return (f"Dokumen ini ditandatangani secara elektronik (Ed25519, kunci {key_id(key)}); tanda tangan terpisah: "
            f"{out.name}.sig. Periksa keasliannya di /verify atau dengan: exam-engine verify {out.name}.")


def _score(v: float | None) -> str:
    return "-" if v is None else fmt_score(v)


def write_unit(session: Session, programme: AssessmentProgramme, unit: str, fmt: str, out: Path,
               key: Ed25519PrivateKey, *, zone: str, actor: str) -> Path:
    """The unit report as ``fmt`` at ``out``, signed; returns the signature's path (audited)."""
    if fmt not in FORMATS:
        raise AppError("bad_format", _("format must be csv, xlsx or pdf."))
    report = unit_report(session, programme, unit, zone)
    comps = report["competencies"]
    header = ["NIP", "Nama", "Unit", "Jabatan", *[c["code"] for c in comps], "Terakhir", "Jatuh tempo",
              "Perlu asesmen ulang"]
    rows = []
    for p in report["people"]:
        latest = {s["code"]: s["score"] for s in p["latest"]["scores"]} if p["latest"] else {}
        rows.append([p.get("nip") or "-", p["name"], p["unit"], p["position"],
                     *[_score(latest.get(c["code"])) for c in comps],
                     zones.local(p["last_sat"], zone, "%Y-%m-%d") if p["last_sat"] else "-",
                     zones.local(p["due_at"], zone, "%Y-%m-%d") if p["due_at"] else "-", "ya" if p["due"] else "tidak"])
    if fmt in ("csv", "xlsx"):
        write_rows(out, header, rows, title="asesmen")
    else:
        summary = [[c["code"], c["name"], _score(c["standard"]), str(c["n"]), _score(c["mean"]), _score(c["gap"]),
                    str(c["below"]), " / ".join(_score(m) for m in c["means"])] for c in comps]
        when = zones.local(clock.now(), zone, "%d-%m-%Y %H:%M")
        _pdf(out, f"LAPORAN ASESMEN KOMPETENSI — {programme.name}",
             f"{programme.code} · unit: {unit or 'semua unit'} · dicetak {when} {zone}",
             [("Ringkasan per kompetensi (sesi terakhir; tren rata-rata: " + ", ".join(report["labels"]) + ")",
               ["Kode", "Kompetensi", "Standar", "Peserta", "Rata-rata", "Selisih", "Di bawah standar", "Tren"],
               summary), ("Pegawai", header, rows)], _signer(key, out))
    sig = sign_file(out, key)
    audit.record(session, "assessment.unit_report_signed", actor=actor, programme=programme.code, unit=unit,
                 format=fmt)
    return sig


def write_person(session: Session, member_id: int, out: Path, key: Ed25519PrivateKey, *, zone: str,
                 actor: str) -> Path:
    """A person's individual report (PDF) at ``out``, signed; returns the signature's path (audited)."""
    data = histories.person(session, member_id)
    p = data["person"]
    blocks = []
    for e in data["sittings"]:
        rows = [[s["code"], s["name"], _score(s["standard"]), _score(s["score"]), _score(s["gap"]),
                 "-" if s["theta"] is None else f"{s['theta']:.2f} ± {s['se']:.2f}",
                 "-" if s["met"] is None else ("memenuhi" if s["met"] else "belum memenuhi")] for s in e["scores"]]
        blocks.append((f"{zones.local(e['held_at'], zone, '%d-%m-%Y')} — {e['programme_name']} ({e['exam']}): "
                       f"total {_score(e['total'])}",
                       ["Kode", "Kompetensi", "Standar", "Nilai", "Selisih", "Kemampuan (theta ± SE)", "Keterangan"],
                       rows))
    for rec in data["onboarding"]:
        blocks.append((f"Orientasi: {rec['formation']} ({rec['status']})", ["Tahap", "Tenggat", "Selesai"],
                       [[m.get("name", ""), m.get("due") or "-", m.get("done_on") or "-"] for m in rec["milestones"]]))
    when = zones.local(clock.now(), zone, "%d-%m-%Y %H:%M")
    _pdf(out, f"LAPORAN INDIVIDU ASESMEN KOMPETENSI — {p['name']}",
         f"NIP {p.get('nip') or '-'} · {p['unit']} · {p['position'] or '-'} · dicetak {when} {zone}", blocks,
         _signer(key, out))
    sig = sign_file(out, key)
    audit.record(session, "assessment.person_report_signed", actor=actor, staff_id=member_id)
    return sig
