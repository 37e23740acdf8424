"""The room summary at the end of a session (*berita acara*): attendance, incidents, finished papers; CSV and PDF."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ground import clock, zones
from ground.documents import csv_writer, pdf_plain, pdf_text
from ground.i18n import _
from ground.models import Room
from proctor import board

SECONDS = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class RoomSummary:
    """Everything the official report needs about one room, read at one moment."""

    room: dict[str, Any]
    generated_at: str
    counts: dict[str, int]
    candidates: list[dict[str, Any]]
    incidents: list[dict[str, Any]]


def build(session: Session, room: Room, zone: str = zones.DEFAULT_ZONE) -> RoomSummary:
    """The room's summary at this moment; every time in the site's ``zone``, labelled (an official document)."""
    rows = board.rows(session, room_id=room.id)
    attended = [r for r in rows if r["state"] != "issued" or r["status"] == "waiting"]
    counts = {
        "registered": len(rows),
        "attended": len(attended),
        "absent": len(rows) - len(attended),
        "finished": sum(r["state"] == "finished" for r in rows),
        "submitted": sum(r["finish_reason"] == "submitted" for r in rows),
        "time_up": sum(r["finish_reason"] == "time_up" for r in rows),
        "force_submitted": sum(r["finish_reason"] == "proctor" for r in rows),
        "not_finished": sum(r["state"] in ("started", "paused") for r in rows),
        "passed": sum(bool(r["passed"]) for r in rows),
        "focus_lost": sum(r["focus_lost"] for r in rows),
        "fullscreen_exits": sum(r["fullscreen_exits"] for r in rows),
    }
    incidents = [dict(ev, at=zones.local(clock.parse_iso(ev["at"]), zone, SECONDS))
                 for ev in reversed(board.feed(session, room.id, incidents=True, limit=5000))]
    counts["incidents"] = len(incidents)
    return RoomSummary(
        room=board.room_card(session, room, with_token=False), generated_at=zones.local(clock.now(), zone, SECONDS),
        counts=counts, candidates=rows, incidents=incidents,
    )


def count_labels() -> dict[str, str]:
    return {
        "registered": _("Registered"), "attended": _("Present"), "absent": _("Absent"), "finished": _("Finished"),
        "submitted": _("Submitted by the candidate"), "time_up": _("Finished at the deadline"),
        "force_submitted": _("Ended by the proctor"), "not_finished": _("Not finished"), "passed": _("Passed"),
        "focus_lost": _("Focus losses"), "fullscreen_exits": _("Fullscreen exits"), "incidents": _("Incidents"),
    }


def status_labels() -> dict[str, str]:
    return {
        "not_signed_in": _("Not signed in"), "waiting": _("Waiting"), "working": _("Working"), "paused": _("Paused"),
        "disconnected": _("Disconnected"), "finished": _("Finished"), "locked": _("Locked"),
    }


def to_csv(s: RoomSummary) -> str:
    """Three blocks in one file: the counts, the candidates, the incidents (UTF-8, comma-separated)."""
    out = io.StringIO()
    w = csv_writer(out)
    w.writerow([_("Room"), s.room["code"], s.room["name"], (s.room["exam"] or {}).get("code", ""), s.generated_at])
    for key, label in count_labels().items():
        w.writerow([label, s.counts[key]])
    w.writerow([])
    w.writerow([_("Participant number"), _("Name"), _("Status"), _("Answered"), _("Questions"), _("Finish"),
                _("Score"), _("Passed"), _("Focus losses"), _("Fullscreen exits"), _("IP address")])
    for r in s.candidates:
        w.writerow([r["participant_no"], r["name"], r["status"], r["answered"], r["total"], r["finish_reason"] or "",
                    "" if r["total_score"] is None else r["total_score"], "" if r["passed"] is None else r["passed"],
                    r["focus_lost"], r["fullscreen_exits"], r["ip"] or ""])
    w.writerow([])
    w.writerow([_("Time"), _("Event"), _("By"), _("Participant number"), _("Reason")])
    for ev in s.incidents:
        w.writerow([ev["at"], ev["kind"], ev["actor"], ev["participant_no"] or "", ev["reason"] or ""])
    return out.getvalue()


def to_pdf(s: RoomSummary) -> bytes:
    """An A4 report to print, sign and file with the berita acara."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=_("Room summary"))
    exam = s.room["exam"] or {}
    story: list[Any] = [
        Paragraph(pdf_text(_("Room summary (berita acara)")), styles["Title"]),
        Paragraph(pdf_text(f'{exam.get("title", "")} — {s.room["name"]} ({s.room["code"]})'), styles["Heading3"]),
        Paragraph(pdf_text(_("Generated at %(at)s", at=s.generated_at)), small),
        Spacer(1, 4 * mm),
    ]
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("FONTSIZE", (0, 0), (-1, -1), 8),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8f0fe"))])
    counts = [[_("Item"), _("Count")]] + [[label, str(s.counts[key])] for key, label in count_labels().items()]
    # plain table cells are drawn, never parsed; Paragraph cells (they wrap) go through pdf_text
    story += [Table(counts, hAlign="LEFT", style=grid), Spacer(1, 5 * mm)]
    head = [_("Participant number"), _("Name"), _("Status"), _("Answered"), _("Score"), _("Focus"), _("IP address")]
    labels = status_labels()
    body = [[pdf_plain(r["participant_no"]), Paragraph(pdf_text(r["name"]), small),
             labels.get(r["status"], r["status"]),
             f'{r["answered"]}/{r["total"]}',
             "" if r["total_score"] is None else f'{r["total_score"]:g}', f'{r["focus_lost"]}/{r["fullscreen_exits"]}',
             pdf_plain(r["ip"] or "")] for r in s.candidates]
    widths = [24 * mm, 50 * mm, 22 * mm, 23 * mm, 14 * mm, 14 * mm, 32 * mm]
    story += [Paragraph(pdf_text(_("Candidates")), styles["Heading4"]),
              Table([head, *body], repeatRows=1, style=grid, colWidths=widths),
              Spacer(1, 5 * mm)]
    story.append(Paragraph(pdf_text(_("Incidents")), styles["Heading4"]))
    if s.incidents:
        inc = [
            [ev["at"][11:], pdf_plain(ev["kind"]), pdf_plain(ev["actor"]), pdf_plain(ev["participant_no"] or ""),
             Paragraph(pdf_text(ev["reason"] or ""), small)]
            for ev in s.incidents
        ]
        story.append(Table([[_("Time"), _("Event"), _("By"), _("Participant number"), _("Reason")], *inc],
                           repeatRows=1, colWidths=[22 * mm, 32 * mm, 32 * mm, 28 * mm, 66 * mm], style=grid))
    else:
        story.append(Paragraph(pdf_text(_("No incidents.")), small))
    story += [Spacer(1, 15 * mm), Table([[_("Proctor"), _("Room coordinator")], ["", ""],
                                         ["(..............................)", "(..............................)"]],
                                        colWidths=[85 * mm, 85 * mm], rowHeights=[6 * mm, 18 * mm, 6 * mm])]
    doc.build(story)
    return buf.getvalue()
