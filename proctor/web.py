"""The proctor's pages: the live dashboard, the room summary (berita acara) exports and the public score board."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template

from ground import db
from ground.concurrency import run_blocking
from ground.runtime import runtime
from ground.staff import accounts as staff_service
from ground.staff.auth import signed_in_staff, staff_required
from proctor import board, summary
from proctor.actions import authorize

bp = Blueprint("proctor", __name__, template_folder="templates")


@bp.get("/proctor/")
@staff_required()
def dashboard() -> Any:
    """The live dashboard: pick a room, watch the grid and the feed, act."""
    return render_template("proctor_dashboard.html")


def _room_summary(room_id: int) -> summary.RoomSummary:
    db_url, who, zone = runtime().db_url, signed_in_staff(), runtime().config.site_zone

    def load() -> summary.RoomSummary:
        with db.session_scope(db_url) as s:
            room = authorize(s, who, room_id)
            return summary.build(s, room, zone)

    return run_blocking(load)


@bp.get("/proctor/rooms/<int(max=2147483647):room_id>/summary")
@staff_required()
def room_summary_page(room_id: int) -> Any:
    return render_template(
        "proctor_summary.html", s=_room_summary(room_id), labels=summary.count_labels(),
        statuses=summary.status_labels(),
    )


@bp.get("/proctor/rooms/<int(max=2147483647):room_id>/summary.csv")
@staff_required()
def room_summary_csv(room_id: int) -> Response:
    s = _room_summary(room_id)
    return Response(
        summary.to_csv(s), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="berita-acara-{s.room["code"]}.csv"'},
    )


@bp.get("/proctor/rooms/<int(max=2147483647):room_id>/summary.pdf")
@staff_required()
def room_summary_pdf(room_id: int) -> Response:
    s = _room_summary(room_id)
    return Response(
        summary.to_pdf(s), mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="berita-acara-{s.room["code"]}.pdf"'},
    )


@bp.get("/board/<code>")
def score_board(code: str) -> Any:
    """The public live score board shown outside the room (participant number, name, scores, pass/fail)."""
    db_url = runtime().db_url

    def load() -> dict[str, Any]:
        with db.session_scope(db_url) as s:
            room = staff_service.room_by_code(s, code)
            return {
                "room": board.room_card(s, room, with_token=False), "results": board.scoreboard(s, room.id),
                "blueprint": dict(room.exam.blueprint or {}),
            }

    data = run_blocking(load)
    subtests = [s["code"] for s in (data["blueprint"].get("sections") or [])] or sorted(
        {code for r in data["results"] for code in r["subtests"]}
    )
    return render_template("proctor_board.html", room=data["room"], results=data["results"], subtests=subtests)
