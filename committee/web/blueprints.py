"""The console's blueprints page: a shipped blueprint (the SKD preset ready) with its counts and duration adjusted,
checked against the bank as ``exam-engine bank check`` does (what is missing, per section and draw), and the exam
created from it on the exams page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, request
from sqlalchemy.orm import Session

from candidate.exams import bank_problems
from committee.web.console import committee_only, in_session, page
from ground.errors import AppError
from ground.i18n import _
from question_bank.blueprint import Blueprint as ExamBlueprint
from question_bank.blueprint import BlueprintError, blueprint_to_dict, load_blueprint, load_preset, preset_names

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
        minutes = (form.get("minutes") or "").strip()
        if minutes:
            raw["duration_s"] = int(minutes) * 60
        return load_blueprint(raw)
    except (BlueprintError, ValueError) as exc:
        raise AppError("bad_blueprint", _("The blueprint is not valid: %(why)s", why=str(exc)), 400) from None


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

    def check(s: Session) -> list[str]:
        return bank_problems(s, blueprint)

    return page("console_blueprints.html", status=400 if error else 200, presets=preset_names(), preset=preset,
                blueprint=blueprint, problems=in_session(check), error=error)
