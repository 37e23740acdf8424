"""``GET /api/v1/practice/review``: a finished practice paper's review, for its candidate (Bearer access token)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from assessment.review import review
from candidate import tokens
from candidate.web.candidate import bearer_token
from ground import db
from ground.concurrency import run_blocking
from ground.errors import AppError
from ground.i18n import _
from ground.models import Paper
from ground.runtime import runtime

bp = Blueprint("practice_review", __name__)


@bp.get("/api/v1/practice/review")
def practice_review() -> Any:
    """The candidate's own finished paper with the best answers and explanations; refused for a selection exam."""
    rt = runtime()
    claims = tokens.read(rt.secret, bearer_token(), rt.config.token_ttl_s)

    def load() -> dict[str, Any]:
        with db.session_scope(rt.db_url) as session:
            paper = session.get(Paper, claims.paper_id)
            if paper is None or paper.session_id != claims.session_id:
                raise AppError("session_replaced", _("You logged in elsewhere or were released: log in again."), 401)
            return review(session, paper)

    return jsonify(run_blocking(load))
