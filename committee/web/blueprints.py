"""The console's blueprints page: a shipped blueprint (the SKD preset ready) with its counts, its draws per
category/difficulty within each subtest and its duration adjusted, checked against the bank as ``exam-engine bank
check`` does (what is missing, per section and per draw: each cell shows what the bank holds and lacks), and the exam
created from it on the exams page. static/js/blueprint-check.js re-runs the check as one types (the same GET,
debounced)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, request
from sqlalchemy.orm import Session

from candidate.exams import bank_problems
from committee.web.console import committee_only, in_session, page
from ground.errors import AppError
from ground.i18n import _
from question_bank.assembly import matches
from question_bank.blueprint import Blueprint as ExamBlueprint
from question_bank.blueprint import BlueprintError, blueprint_to_dict, load_blueprint, load_preset, preset_names
from question_bank.store import load_pool

MAX_DRAWS = 40  # draw rows per section the editor reads
SPARE_ROWS = 2  # empty rows offered per section to add a draw
bp = Blueprint("console_blueprints", __name__, url_prefix="/committee/blueprints", template_folder="templates")


def adjusted(preset: str, form: Mapping[str, str]) -> ExamBlueprint:
    """Preset ``preset`` with the counts (``count_<SECTION>``) and minutes the form gives; refused when not valid."""
    try:
        raw = blueprint_to_dict(load_preset(preset))
    except BlueprintError:
        raise AppError("bad_preset", _("Choose one of the blueprints offered."), 400) from None
    try:
        for section in raw["sections"]:
            given = (form.get(f"count_{section['code']}") or "").strip()
            if given:
                section["count"] = int(given)
            if form.get(f"draws_{section['code']}"):  # the editor sent this section's draws: they replace the preset's
                section["draws"] = form_draws(form, section["code"])
        minutes = (form.get("minutes") or "").strip()
        if minutes:
            raw["duration_s"] = int(minutes) * 60
        return load_blueprint(raw)
    except (BlueprintError, ValueError) as exc:
        raise AppError("bad_blueprint", _("The blueprint is not valid: %(why)s", why=str(exc)), 400) from None


def form_draws(form: Mapping[str, str], code: str) -> list[dict[str, Any]]:
    """A section's draws as the editor sends them (``draw_<CODE>_<i>_count|category|difficulty``); a row without a
    count is left out (an empty row is how one is added or removed)."""
    draws = []
    for i in range(MAX_DRAWS):
        count = (form.get(f"draw_{code}_{i}_count") or "").strip()
        if not count:
            continue
        row: dict[str, Any] = {"count": int(count)}
        for key in ("category", "difficulty"):
            value = (form.get(f"draw_{code}_{i}_{key}") or "").strip()
            if value:
                row[key] = value
        draws.append(row)
    return draws


def stock(s: Session, blueprint: ExamBlueprint) -> dict[str, Any]:
    """Per section and per draw (cell): how many items the bank holds there, and how many are missing for it."""
    pool = load_pool(s, [sec.code for sec in blueprint.sections])
    out: dict[str, Any] = {}
    for sec in blueprint.sections:
        mine = [p for p in pool if p.subtest == sec.code]
        cells = []
        for d in sec.draws:
            have = sum(1 for p in mine if matches(d, p))
            cells.append({"have": have, "missing": max(0, d.count - have)})
        out[sec.code] = {"have": len(mine), "missing": max(0, sec.count - len(mine)), "cells": cells}
    return out


@bp.get("/")
@committee_only
def index() -> Any:
    """A blueprint's sections, counts and duration, editable, with what the bank lacks to fill every paper."""
    preset = request.args.get("preset") or "skd"
    error = None
    try:
        blueprint = adjusted(preset, request.args)
    except AppError as err:
        error, blueprint = err.message, load_preset(preset if preset in preset_names() else "skd")

    def check(s: Session) -> tuple[list[str], dict[str, Any]]:
        return bank_problems(s, blueprint), stock(s, blueprint)

    problems, cells = in_session(check)
    return page("console_blueprints.html", status=400 if error else 200, presets=preset_names(), preset=preset,
                blueprint=blueprint, problems=problems, stock=cells, error=error, spare_rows=SPARE_ROWS)
