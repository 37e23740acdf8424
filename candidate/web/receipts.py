"""Public trust endpoints: the installation's public key, and checking a candidate's submission receipt."""

from __future__ import annotations

import io
from typing import Any

import segno
from flask import Blueprint, Response, jsonify, render_template, request

from ground.crypto import public_key_pem
from ground.errors import AppError
from ground.i18n import _
from ground.runtime import runtime
from scoring.receipts import ReceiptError, verify_receipt
from scoring.signing import key_id

bp = Blueprint("receipts", __name__, template_folder="templates")
MAX_RECEIPT = 16 * 1024


def check(receipt: str) -> dict[str, Any]:
    """``{"valid": true, "claims": {...}}`` or ``{"valid": false, "reason": "..."}`` for a receipt string."""
    public = runtime().signing_key.public_key()
    try:
        return {"valid": True, "claims": verify_receipt(public, receipt), "key_id": key_id(public)}
    except ReceiptError as exc:
        return {"valid": False, "reason": str(exc), "kind": exc.kind, "key_id": key_id(public)}


def field_names() -> dict[str, str]:
    """A receipt's claims in the reader's words (the page never shows a raw key it knows)."""
    return {
        "exam": _("Exam"), "participant_no": _("Participant number"), "paper": _("Paper number"),
        "answers_sha256": _("Fingerprint of the answers (SHA-256)"), "answered": _("Questions answered"),
        "total": _("Total score"), "subtests": _("Score per subtest"), "passed": _("Passed the passing grades"),
        "finished_at": _("Finished at (UTC)"), "reason": _("How the exam ended"), "v": _("Receipt version"),
    }


def reason_text(outcome: dict[str, Any]) -> str:
    """Why a receipt is not valid, in the page's language (the library's English stays in the API)."""
    return {
        "signature": _("The signature does not match: the receipt was changed or signed by another installation."),
        "version": _("This receipt version is not known to this installation."),
        "empty": _("Paste a receipt first."),
    }.get(outcome.get("kind", ""), _("This is not a receipt: it should be two parts joined by one dot."))


def shown_value(name: str, value: Any) -> str:
    """A claim's value as a person reads it: yes/no, subtest scores in a row, finish reasons in words."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return " · ".join(f"{k} {v}" for k, v in value.items())
    if name == "reason":
        return {"submitted": _("Submitted by the candidate"), "time_up": _("Time ran out"),
                "proctor": _("Ended by the proctor")}.get(str(value), str(value))
    return "" if value is None else str(value)


@bp.get("/api/v1/public-key")
def public_key() -> Response:
    """The Ed25519 public key (PEM) that verifies exports and receipts of this installation."""
    key = runtime().signing_key
    resp = Response(public_key_pem(key), mimetype="application/x-pem-file")
    resp.headers["X-Key-Id"] = key_id(key)
    resp.headers["Content-Disposition"] = "inline; filename=exam-engine-public-key.pem"
    return resp


@bp.post("/api/v1/receipts/verify")
def verify_api() -> Any:
    """Check a receipt: 200 with ``valid`` true/false (and why not); 400 when no receipt was sent."""
    data: Any = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise AppError("bad_request", _("The request body must be a JSON object."), 400)
    receipt = data.get("receipt")
    if not isinstance(receipt, str) or not receipt.strip():
        raise AppError("bad_request", _("Field '%(name)s' is required (text).", name="receipt"), 400, field="receipt")
    if len(receipt) > MAX_RECEIPT:
        raise AppError("bad_request", _("The receipt is too long to be one of ours."), 400, field="receipt")
    return jsonify(check(receipt))


@bp.route("/receipt", methods=["GET", "POST"])
def receipt_page() -> str:
    """A page where a candidate pastes their receipt and sees what it proves."""
    outcome = None
    receipt = ""
    if request.method == "POST":
        receipt = (request.form.get("receipt") or "").strip()[:MAX_RECEIPT]
        outcome = check(receipt) if receipt else {"valid": False, "kind": "empty"}
    names = field_names()
    rows = []
    if outcome and outcome["valid"]:
        claims = outcome["claims"]
        rows = [(label, shown_value(k, claims[k])) for k, label in names.items() if k in claims]
    reason = reason_text(outcome) if outcome and not outcome["valid"] else ""
    return render_template("receipt_check.html", outcome=outcome, receipt=receipt, rows=rows, reason=reason)


@bp.post("/api/v1/receipts/qr")
def receipt_qr() -> Response:
    """A valid receipt of this installation as a QR code (SVG), for the score slip; nothing else is drawn."""
    data: Any = request.get_json(silent=True)
    receipt = data.get("receipt") if isinstance(data, dict) else None
    if not isinstance(receipt, str) or not receipt.strip() or len(receipt) > MAX_RECEIPT:
        raise AppError("bad_request", _("Field '%(name)s' is required (text).", name="receipt"), 400, field="receipt")
    if not check(receipt)["valid"]:  # not a general QR service: only receipts this installation signed
        raise AppError("bad_receipt", _("This is not a valid receipt of this installation."), 400)
    out = io.BytesIO()
    segno.make(receipt.strip(), error="m", micro=False).save(out, kind="svg", scale=4, border=4, xmldecl=False)
    return Response(out.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})
