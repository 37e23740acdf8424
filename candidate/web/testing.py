"""Test-only control of the server's clock (registered only with EXAM_TESTING_CLOCK=1, never in production)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from candidate.live.ticker import kick
from ground import clock
from ground.errors import AppError

bp = Blueprint("testing", __name__)


@bp.post("/api/v1/_test/clock")
def move_clock() -> Any:
    """``{"advance_s": N}`` moves this process's clock forward; the ticker runs at once."""
    data = request.get_json(silent=True) or {}
    advance = data.get("advance_s")
    if not isinstance(advance, (int, float)) or isinstance(advance, bool):
        raise AppError("bad_request", "advance_s must be a number", 400)
    now = clock.advance(float(advance))
    done = kick(wait=True)
    return jsonify({"ok": True, "now": clock.isoformat(now), "ticked": done})
