"""The public check of a signed document: anyone uploads an announcement (or any export) and its ``.sig`` and
sees whether this installation signed exactly these bytes — ``exam-engine verify`` in the browser.

It stores nothing and changes nothing (no sign-in, no CSRF needed: there is no state to forge a change to).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, render_template, request

from ground import clock, zones
from ground.concurrency import run_blocking
from ground.i18n import _
from ground.runtime import runtime
from scoring.signing import SignatureError, key_id, verify_file

bp = Blueprint("verify", __name__, template_folder="templates")


def _check(document: bytes, name: str, signature: bytes, public: Any, zone: str) -> dict[str, Any]:
    """Verify in a private temporary folder; the reason never shows that folder."""
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / (Path(name).name or "dokumen")
        doc.write_bytes(document)
        sig = Path(tmp) / "document.sig"
        sig.write_bytes(signature)
        try:
            ok = verify_file(doc, public, sig)
        except SignatureError as exc:
            return {"valid": False, "reason": str(exc).replace(f"{tmp}/", "")}
        try:
            signed_at = zones.local(clock.parse_iso(ok.signed_at), zone, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            signed_at = ok.signed_at
        return {"valid": True, "sha256": ok.sha256, "key_id": ok.key_id, "signed_at": signed_at, "file": doc.name}


@bp.route("/verify", methods=["GET", "POST"])
def verify_page() -> Any:
    """Upload a document and its signature; the page says VALID with the file's SHA-256, or why not."""
    public, zone = runtime().signing_key.public_key(), runtime().config.site_zone
    outcome = None
    status = 200
    if request.method == "POST":
        document, signature = request.files.get("document"), request.files.get("signature")
        data = document.read() if document else b""
        sig = signature.read() if signature else b""
        if not data or not sig:
            outcome, status = {"valid": False, "reason": _("Choose the document and its .sig file.")}, 400
        else:
            outcome = run_blocking(_check, data, document.filename or "", sig, public, zone)  # type: ignore[union-attr]
    return render_template("verify_document.html", outcome=outcome, key_id=key_id(public)), status
