"""Announcement files (CSV, XLSX, PDF in Bahasa Indonesia) for the SKD and final stages, each signed.

The PDF is laid out as the official announcement table (*lampiran pengumuman*): one table per
formation, the result-code legend, and how to verify the detached signature.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ground import clock, zones
from ground.config import write_private
from ground.documents import pdf_plain, pdf_text
from ground.i18n import _
from ground.tables import TableError, write_rows
from scoring.grading import fmt_score
from scoring.integration import FinalFormation
from scoring.selection import FormationRanking
from scoring.signing import key_id, sign_file

FORMATS = ("csv", "xlsx", "pdf")
CELL_PT = 7.5  # the PDF table's body font size
CELL_PADDING_PT = 6  # reportlab's default left and right padding of a table cell

SKD_LEGEND = [
    ("P/L", "Memenuhi nilai ambang batas dan lulus ke tahap SKB"),
    ("P", "Memenuhi nilai ambang batas, tidak masuk kuota SKB"),
    ("TL", "Tidak memenuhi nilai ambang batas"),
    ("TH", "Tidak hadir"),
]
PATH_NAMES_ID = {
    "general": "Umum", "cum_laude": "Lulusan Cumlaude", "diaspora": "Diaspora",
    "disability": "Penyandang Disabilitas", "papua": "Putra/Putri Papua", "doctor": "Dokter",
    "ship_crew": "Awak Kapal", "rescuer": "Tenaga Penyelamat", "volcano_observer": "Pengamat Gunung Api",
}


def formation_id(formation: str, entry_path: str) -> str:
    """The formation as the Indonesian announcement names it: name — jenis formasi."""
    return f"{formation} — Formasi {PATH_NAMES_ID.get(entry_path, entry_path)}"


FINAL_LEGEND = [
    ("P/L", "Lulus"),
    ("P/TL", "Memenuhi syarat, tidak masuk kebutuhan formasi"),
    ("TMS", "Tidak memenuhi syarat"),
    ("TH", "Tidak hadir"),
    ("APS", "Mengundurkan diri (atas permintaan sendiri)"),
]


def skd_table(formations: Sequence[FormationRanking], subtests: Sequence[str]) -> tuple[list[str], list[list[Any]]]:
    """The SKD announcement as flat rows (one per candidate, grouped by formation, ranked first)."""
    header = ["formation", "quota", "slots", "no", "rank", "participant_no", "name", "entry_path", *subtests,
              "total", "code", "reasons"]
    rows: list[list[Any]] = []
    for f in formations:
        for i, r in enumerate(f.rows, start=1):
            s = r.entrant.scores or {}
            rows.append([f.label, f.quota, f.slots, i, r.rank or "", r.entrant.participant_no, r.entrant.name,
                         f.entry_path, *[fmt_score(s[c]) if c in s else "" for c in subtests],
                         "" if r.total is None else fmt_score(r.total), r.code, "; ".join(r.reasons)])
    return header, rows


def _dec(value: Any) -> str:
    return "" if value is None else str(value)


def final_table(formations: Sequence[FinalFormation], decimals: int = 3) -> tuple[list[str], list[list[Any]]]:
    """The final announcement as flat rows."""
    header = ["formation", "quota", "no", "rank", "participant_no", "name", "entry_path", "skd_total",
              "skd_scaled", "skb_scaled", "final", "code"]
    q = f"{{:.{decimals}f}}"
    rows: list[list[Any]] = []
    for f in formations:
        for i, r in enumerate(f.rows, start=1):
            e = r.entrant
            rows.append([f.label, f.quota, i, r.rank or "", e.participant_no, e.name, f.entry_path,
                         "" if e.skd_total is None else fmt_score(e.skd_total),
                         "" if r.skd_scaled is None else q.format(r.skd_scaled),
                         "" if r.skb_scaled is None else q.format(r.skb_scaled), _dec(r.final), r.code])
    return header, rows


def _pdf(
    out: Path,
    title: str,
    subtitle: str,
    sections: list[tuple[str, list[str], list[list[str]], list[float]]],
    legend: list[tuple[str, str]],
    signer: str,
    note: str = "",
    wrap: tuple[int, ...] = (2,),
) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from scoring.pdf_pages import PagedTable

    styles = getSampleStyleSheet()
    h1 = ParagraphStyle("h1", parent=styles["Title"], fontSize=14, leading=18)
    h2 = ParagraphStyle("h2", parent=styles["Heading3"], fontSize=10, spaceBefore=8, spaceAfter=4)
    small = ParagraphStyle("small", parent=styles["Normal"], fontSize=8, leading=10)
    cell = ParagraphStyle("cell", parent=small, fontSize=CELL_PT, leading=9)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=14 * mm, title=title, author="exam-engine",
                            subject=subtitle)
    story: list[Any] = [Paragraph(pdf_text(title), h1), Paragraph(pdf_text(subtitle), styles["Normal"])]
    if note:
        story.append(Paragraph(pdf_text(note), styles["Normal"]))
    story.append(Spacer(1, 4 * mm))
    if not sections:
        story.append(Paragraph("Tidak ada peserta.", styles["Normal"]))

    def fitted(value: Any, room: float) -> Any:
        """A wrapped column's cell: plain text when it fits on one line, else a Paragraph (which wraps it): most names
        fit, and a Paragraph per row is an object to lay out that plain text is not."""
        text = pdf_plain(value)
        return text if stringWidth(text, "Helvetica", CELL_PT) <= room else Paragraph(pdf_text(value), cell)

    def body_table(data: list[list[Any]], widths: list[float]) -> Any:
        """One table of a section (its header row first), styled as every announcement's."""
        table = Table(data, repeatRows=1, hAlign="LEFT", colWidths=[w * mm for w in widths])
        table.setStyle(TableStyle([
            ("ALIGN", (3, 0), (-1, -1), "CENTER"),
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7.5),
            ("FONT", (0, 1), (-1, -1), "Helvetica", CELL_PT),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde3ea")),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f5f7f9")]),
        ]))
        return table

    for heading, header, rows, widths in sections:
        story.append(Paragraph(pdf_text(heading), h2))
        room = [w * mm - 2 * CELL_PADDING_PT for w in widths]
        cells = [[fitted(c, room[i]) if i in wrap else pdf_plain(c) for i, c in enumerate(r)] for r in rows]
        story.append(PagedTable([pdf_plain(c) for c in header], cells,
                                lambda data, widths=widths: body_table(data, widths), room))
    story.append(Spacer(1, 5 * mm))
    if legend:
        story.append(Paragraph("<b>Keterangan:</b> " + pdf_text("; ".join(f"{c} = {t}" for c, t in legend)), small))
    story.append(Paragraph(pdf_text(signer), small))

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawRightString(document.pagesize[0] - 12 * mm, 7 * mm, f"Halaman {document.page}")
        canvas.drawString(12 * mm, 7 * mm, pdf_plain(subtitle))
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    write_private(out, buf.getvalue())


def write_skd(
    formations: Sequence[FormationRanking],
    subtests: Sequence[str],
    fmt: str,
    out: Path,
    key: Ed25519PrivateKey,
    exam_title: str = "",
    exam_code: str = "",
    *,
    zone: str = zones.DEFAULT_ZONE,
    title: str = "PENGUMUMAN HASIL SELEKSI KOMPETENSI DASAR (SKD)",
    note: str = "",
) -> Path:
    """Write the SKD announcement as ``fmt`` to ``out`` and sign it; returns the signature path. Subtests come in
    the exam's order (TWK, TIU, TKP for the SKD); the printing time in the site's ``zone``, labelled. ``title`` and
    ``note`` (a line under it) name a later announcement of the same table (after the objections)."""
    if fmt in ("csv", "xlsx"):
        header, rows = skd_table(formations, subtests)
        _tabular(out, fmt, header, rows)
    elif fmt == "pdf":
        sections = []
        for f in formations:
            heading = (f"Formasi: {formation_id(f.formation, f.entry_path)} — kebutuhan {f.quota}, "
                       f"lulus ke SKB paling banyak {f.slots} (termasuk peserta dengan nilai sama)")
            header = ["No", "Nomor Peserta", "Nama", *subtests, "Total", "Peringkat", "Ket."]
            rows = []
            for i, r in enumerate(f.rows, start=1):
                s = r.entrant.scores or {}
                rows.append([str(i), r.entrant.participant_no, r.entrant.name,
                             *[fmt_score(s[c]) if c in s else "-" for c in subtests],
                             "-" if r.total is None else fmt_score(r.total), str(r.rank or "-"), r.code])
            sections.append((heading, header, rows, [10, 32, 80, *[16] * len(subtests), 18, 20, 16]))
        _pdf(out, title, _subtitle(exam_title, exam_code, zone), sections, SKD_LEGEND, _signer(key, out), note)
    else:
        raise _unknown_format(fmt)
    return sign_file(out, key)


def write_final(
    formations: Sequence[FinalFormation],
    fmt: str,
    out: Path,
    key: Ed25519PrivateKey,
    exam_title: str = "",
    exam_code: str = "",
    decimals: int = 3,
    *,
    zone: str = zones.DEFAULT_ZONE,
) -> Path:
    """Write the final (integrated) announcement as ``fmt`` to ``out`` and sign it (printed in the site's zone)."""
    header, rows = final_table(formations, decimals)
    if fmt in ("csv", "xlsx"):
        _tabular(out, fmt, header, rows)
    elif fmt == "pdf":
        sections = []
        for f in formations:
            pdf_rows = [[str(r[2]), r[4], r[5], r[7] or "-", r[8] or "-", r[9] or "-", r[10] or "-",
                         str(r[3] or "-"), r[11]] for r in rows if r[0] == f.label]
            sections.append((f"Formasi: {formation_id(f.formation, f.entry_path)} — kebutuhan {f.quota}",
                             ["No", "Nomor Peserta", "Nama", "SKD", "SKD (skala 100)", "SKB (skala 100)",
                              "Nilai Akhir", "Peringkat", "Ket."], pdf_rows, [10, 32, 70, 16, 26, 26, 24, 20, 16]))
        _pdf(out, "PENGUMUMAN HASIL AKHIR SELEKSI", _subtitle(exam_title, exam_code, zone), sections, FINAL_LEGEND,
             _signer(key, out))
    else:
        raise _unknown_format(fmt)
    return sign_file(out, key)


def _unknown_format(fmt: str) -> TableError:
    return TableError(_("unknown export format %(fmt)s (use %(formats)s)", fmt=repr(fmt), formats=", ".join(FORMATS)))


def _tabular(out: Path, fmt: str, header: list[str], rows: list[list[Any]]) -> None:
    if out.suffix.lower() != f".{fmt}":
        raise TableError(_("%(file)s: the file name must end in .%(fmt)s for --format %(fmt)s", file=str(out), fmt=fmt))
    write_rows(out, header, rows, title="pengumuman")


def _subtitle(title: str, code: str, zone: str) -> str:
    when = zones.local(clock.now(), zone, "%d-%m-%Y %H:%M")
    return f"{title} ({code}) — dicetak {when}" if code else f"dicetak {when}"


def _signer(key: Ed25519PrivateKey, out: Path) -> str:
    return (f"Dokumen ini ditandatangani secara elektronik (Ed25519, kunci {key_id(key)}); tanda tangan terpisah: "
            f"{out.name}.sig. Periksa keasliannya dengan: exam-engine verify {out.name} "
            f"(kunci publik: /api/v1/public-key).")


ONBOARDING_STATUS_ID = {"awaiting_documents": "menunggu berkas", "in_orientation": "dalam orientasi",
                        "completed": "selesai"}


def write_onboarding(rows: Sequence[dict[str, Any]], fmt: str, out: Path, key: Ed25519PrivateKey, exam_title: str = "",
                     exam_code: str = "", cohort: str = "", *, zone: str = zones.DEFAULT_ZONE) -> Path:
    """The onboarding records (``RecordView.as_dict`` rows) as a signed CSV, XLSX or PDF list: per person their
    formation, unit, mentor, cohort, status and each milestone with its due and done dates."""
    header = ["participant_no", "name", "formation", "unit", "mentor", "cohort", "status", "milestones",
              "final_rank", "final_score"]

    def milestones(d: dict[str, Any]) -> str:
        return "; ".join(f"{m['name']}: " + (f"selesai {m['done_on']}" if m.get("done_on") else
                                             f"jatuh tempo {m['due']}" if m.get("due") else "belum")
                         for m in d["milestones"])

    table = [[d["participant_no"], d["name"], d["formation"], d["unit"], d["mentor"] or "", d["cohort"] or "",
              d["status"], milestones(d), "" if d["final_rank"] is None else d["final_rank"],
              "" if d["final_score"] is None else d["final_score"]] for d in rows]
    if fmt in ("csv", "xlsx"):
        _tabular(out, fmt, header, table)
    elif fmt == "pdf":
        pdf_rows = [[str(i), r[0], r[1], r[3], r[4] or "-", r[5] or "-", ONBOARDING_STATUS_ID.get(r[6], r[6]), r[7]]
                    for i, r in enumerate(table, start=1)]
        heading = f"Angkatan: {cohort}" if cohort else "Semua peserta terpilih"
        _pdf(out, "DAFTAR ORIENTASI DAN MASA PERCOBAAN CPNS", _subtitle(exam_title, exam_code, zone),
             [(heading, ["No", "Nomor Peserta", "Nama", "Unit Kerja", "Mentor", "Angkatan", "Status", "Tahapan"],
               pdf_rows, [10, 28, 46, 40, 32, 24, 24, 66])] if pdf_rows else [], [], _signer(key, out), wrap=(2, 3, 7))
    else:
        raise _unknown_format(fmt)
    return sign_file(out, key)
