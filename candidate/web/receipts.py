"""Public trust endpoints: the installation's public key, and checking a candidate's submission receipt."""

from __future__ import annotations

from typing import Any

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
        return {"valid": False, "reason": str(exc), "key_id": key_id(public)}


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
        outcome = check(receipt) if receipt else {"valid": False, "reason": _("Paste a receipt first.")}
    return render_template("receipt_check.html", outcome=outcome, receipt=receipt)
