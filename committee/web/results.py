"""The committee's results face: the SKD announcement and final selection as JSON, signed export bundles.

Committee and admin staff only. GETs only look (nothing is stored); storing the final selection and producing a
signed export are POSTs (CSRF-checked, audited under the staff member's name). An export comes as a ZIP holding
the file and its detached ``.sig`` (the signature covers the exact bytes, so they travel together).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, request

from candidate.exams import get_exam
from ground import db, keyring
from ground.crypto import load_signing_key
from ground.errors import AppError
from ground.i18n import _
from ground.jobs import run_apart
from ground.runtime import runtime
from ground.staff.auth import signed_in_staff, staff_required
from scoring.presets import RulesError
from scoring.selection import ranking_json

bp = Blueprint("results", __name__, url_prefix="/api/v1/committee/exams")
COMMITTEE = ("admin", "committee")


def _announcement(url: str, code: str) -> dict[str, Any]:
    from scoring.store.announcement import announce_skd

    with db.session_scope(url) as session:
        return ranking_json(announce_skd(session, get_exam(session, code), store=False))


def _final(url: str, code: str, actor: str | None) -> dict[str, Any]:
    """The integrated selection; stored (and audited as ``actor``) only when an actor asks to store it."""
    from scoring.store.final import compute_final

    with db.session_scope(url) as session:
        exam = get_exam(session, code)
        formations = compute_final(session, exam, actor=actor or "", store=actor is not None)
        return {"formations": [
            {"formation": f.label, "quota": f.quota, "slots": f.slots, "ranking": [
                {"rank": r.rank, "participant_no": r.entrant.participant_no,
                 "skd_scaled": None if r.skd_scaled is None else float(round(r.skd_scaled, 6)),
                 "skb_scaled": None if r.skb_scaled is None else float(round(r.skb_scaled, 6)),
                 "final": None if r.final is None else float(r.final), "selected": r.selected, "code": r.code}
                for r in f.rows]}
            for f in formations]}


def zip_download(name: str, data: bytes) -> Response:
    """A signed bundle (``name``.zip: the document and its .sig, from :func:`export_bundle`) as an attachment."""
    resp = Response(data, mimetype="application/zip")
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return resp


def export_bundle(url: str, code: str, stage: str, fmt: str, actor: str, zone: str) -> tuple[str, bytes]:
    """(file name, ZIP of the signed announcement and its .sig); the library refuses while a paper is open. Run
    apart (``ground.jobs``): the signing key is read from the database's data folder there, never sent."""
    key = load_signing_key(keyring.data_dir_for_url(url))
    from scoring.store.announcement import export_skd
    from scoring.store.final import export_final
    from scoring.store.objections import export_pasca_sanggah

    with db.session_scope(url) as session, tempfile.TemporaryDirectory() as tmp:
        exam = get_exam(session, code)
        name = f"pengumuman-{exam.code}-{stage}.{fmt}"
        out = Path(tmp) / name
        if stage == "skd":
            sig = export_skd(session, exam, fmt, out, key, zone, actor)
        elif stage == "pasca-sanggah":
            sig = export_pasca_sanggah(session, exam, fmt, out, key, zone, actor)
        else:
            sig = export_final(session, exam, fmt, out, key, zone, actor)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.write(out, name)
            z.write(sig, sig.name)
        return name, buf.getvalue()


def _guarded(fn: Any, *args: Any) -> Any:
    from scoring.store.announcement import PapersStillOpen

    try:
        return run_apart(fn, *args)  # whole-exam work: in a process of its own while serving
    except PapersStillOpen as exc:
        raise AppError("papers_open", str(exc), 409, papers=[
            {"participant_no": p.participant_no, "name": p.name, "room": p.room, "state": p.state}
            for p in exc.papers]) from None
    except RulesError as exc:
        raise AppError("rules_error", str(exc), 409) from None


@bp.get("/<code>/announcement")
@staff_required(*COMMITTEE)
def announcement(code: str) -> Any:
    """The SKD announcement in the ``exam-engine rank --json`` shape (result codes are stored too)."""
    return jsonify(_guarded(_announcement, runtime().db_url, code))


@bp.get("/<code>/final")
@staff_required(*COMMITTEE)
def final(code: str) -> Any:
    """The integrated SKD + SKB selection per formation as it stands now (nothing stored)."""
    return jsonify(_guarded(_final, runtime().db_url, code, None))


@bp.post("/<code>/final")
@staff_required(*COMMITTEE)
def store_final(code: str) -> Any:
    """Compute and store the integrated selection (replacing the exam's final results), audited by name."""
    return jsonify(_guarded(_final, runtime().db_url, code, signed_in_staff().actor))


@bp.post("/<code>/export")
@staff_required(*COMMITTEE)
def export(code: str) -> Response:
    """``stage=skd|final&format=csv|xlsx|pdf`` → a ZIP with the announcement file and its ``.sig``; the codes and
    final results it announces are stored, audited under the staff member's name."""
    stage = request.values.get("stage", "skd")
    fmt = request.values.get("format", "pdf")
    if stage not in ("skd", "final"):
        raise AppError("bad_request", _("stage must be skd or final."), 400, field="stage")
    if fmt not in ("csv", "xlsx", "pdf"):
        raise AppError("bad_request", _("format must be csv, xlsx or pdf."), 400, field="format")
    rt = runtime()
    name, data = _guarded(export_bundle, rt.db_url, code, stage, fmt, signed_in_staff().actor, rt.config.site_zone)
    return zip_download(name, data)
