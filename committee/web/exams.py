"""The console's exams page: create an exam from a blueprint, check the bank, issue papers, open it on the day.

Each action is the function ``exam-engine exam …`` calls (candidate.exams, candidate.papers), audited under the
staff member's name; opening (the key release) asks for the exam's code typed again.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from candidate.exams import bank_problems, create_exam, exam_overview, get_exam
from candidate.papers import issue_papers, release_exam
from committee.web.blueprints import adjusted
from committee.web.console import committee_only, done, exam_sessions_view, in_session, page, room_states
from ground import zones
from ground.errors import AppError
from ground.i18n import _
from ground.models import Candidate, Paper
from ground.runtime import runtime
from ground.staff.auth import signed_in_staff
from question_bank.blueprint import load_blueprint, preset_names

bp = Blueprint("console_exams", __name__, url_prefix="/committee/exams", template_folder="templates")
CODE = "<code>"


def _list(err: AppError | None = None, form: dict[str, str] | None = None) -> Any:
    problems = err.details.get("problems", []) if err else []
    error = (_("The bank cannot fill this exam:") if problems else err.message) if err else None
    return page("console_exams.html", status=err.status if err else 200, exams=in_session(exam_overview),
                presets=preset_names(), error=error, problems=problems, form=form or {"preset": "skd"})


@bp.get("/")
@committee_only
def index() -> Any:
    """Every exam with its rooms, candidates and papers; the form to create one."""
    return _list()


@bp.post("/")
@committee_only
def create() -> Any:
    """Create an exam from a shipped blueprint; refused, with what the bank lacks, when it cannot fill every paper."""
    form = {k: (request.form.get(k) or "").strip() for k in ("code", "title", "preset")}
    master_key, actor = runtime().master_key, signed_in_staff().actor
    try:
        blueprint = adjusted(form["preset"], request.form)  # the preset, with the blueprints page's counts

        def work(s: Session) -> str:
            return create_exam(s, form["code"], form["title"], blueprint, master_key, actor=actor).code

        code = in_session(work)
    except AppError as err:
        return _list(err, form)
    return done(_("Created exam %(code)s.", code=code), url_for(".detail", code=code))


def _detail(code: str) -> dict[str, Any]:
    def load(s: Session) -> dict[str, Any]:
        exam = get_exam(s, code)
        overview = next(e for e in exam_overview(s) if e["code"] == exam.code)
        unissued = s.scalar(
            select(func.count()).select_from(Candidate).outerjoin(Paper, Paper.candidate_id == Candidate.id)
            .where(Candidate.exam_id == exam.id, Paper.id.is_(None))) or 0
        rooms = [r for r in room_states(s) if r["exam"] == exam.code]
        return {
            "exam": overview, "released_at": exam.key_released_at, "unissued": unissued,
            "problems": bank_problems(s, load_blueprint(exam.blueprint)),
            "sections": exam.blueprint.get("sections", []),
            "rooms": rooms, "sessions": exam_sessions_view(s, exam.code, rooms),
        }

    return in_session(load)


def detail_page(code: str, status: int = 200, **extra: Any) -> Any:
    """The exam page, with a refusal or a form's values when given."""
    return page("console_exam.html", status=status, zones=list(zones.ZONES), site_zone=runtime().config.site_zone,
                **_detail(code), **extra)


@bp.get(f"/{CODE}")
@committee_only
def detail(code: str) -> Any:
    """One exam: its blueprint, the bank check, rooms, papers; issue and open."""
    return detail_page(code)


@bp.post(f"/{CODE}/issue")
@committee_only
def issue(code: str) -> Any:
    """Assemble and seal a paper for every candidate who has none (``exam-engine exam issue``)."""
    master_key, actor = runtime().master_key, signed_in_staff().actor
    try:
        n = in_session(lambda s: issue_papers(s, get_exam(s, code), master_key, actor=actor))
    except AppError as err:
        return detail_page(code, err.status, error=err.message)
    return done(_("Issued %(n)s papers.", n=n), url_for(".detail", code=code))


@bp.post(f"/{CODE}/open")
@committee_only
def open_exam(code: str) -> Any:
    """Release the exam's key (``exam-engine exam open``): only when the code is typed again to confirm. Rooms in a
    session still wait for their session's opening (which releases the key itself when it is not yet)."""
    actor = signed_in_staff().actor
    if (request.form.get("confirm") or "").strip() != code:
        message = _("Type the exam code %(code)s to confirm the opening.", code=code)
        return detail_page(code, 400, error=message)
    in_session(lambda s: release_exam(s, get_exam(s, code), actor=actor))
    return done(_("Exam %(code)s is open: candidates can start.", code=code), url_for(".detail", code=code))
