"""The console's recruitment pages: define a recruitment (period, retention, formations with quota, education and
entry paths, required documents with types and size limits), see its applications by state, announce the signed
MS/TMS list (opening the objection window) and the final list, erase applicants' data past the retention date, and
carry out the erasures people asked for.

Each action is the function ``exam-engine recruitment …`` calls (registration.recruitments, announcements,
retention), audited under the staff member's name; times are typed in the site's zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, request, url_for
from sqlalchemy.orm import Session

from committee.web.console import committee_only, done, in_session, page
from ground import zones
from ground.errors import AppError
from ground.i18n import _, lazy_gettext
from ground.runtime import runtime
from ground.staff.auth import signed_in_staff
from registration import announcements, recruitments, retention, selection

bp = Blueprint("console_recruitments", __name__, url_prefix="/committee/recruitments", template_folder="templates")
INT = "<int(max=2147483647):person_id>"
STATE_NAMES = {"draft": lazy_gettext("draft"), "submitted": lazy_gettext("submitted"),
               "undecided": lazy_gettext("not decided"), "MS": lazy_gettext("MS (eligible)"),
               "TMS": lazy_gettext("TMS (not eligible)"), "objected": lazy_gettext("objected")}


@bp.app_template_global("state_name")
def state_name(state: str) -> str:
    """An application state in the reader's language."""
    return str(STATE_NAMES.get(state, state))


def _when(text: str, what: str, *, required: bool = True) -> datetime | None:
    """A date and time typed in the site's zone, or a clear refusal naming the field."""
    text = (text or "").strip()
    if not text and not required:
        return None
    try:
        return zones.parse_local(text, runtime().config.site_zone)
    except ValueError:
        raise AppError("bad_time", _("%(what)s is a date and time, e.g. 2026-12-01 08:00.", what=what)) from None


def _index(status: int = 200, **extra: Any) -> Any:
    def load(s: Session) -> dict[str, Any]:
        return {"recruitments": recruitments.listing(s), "erasures": retention.requests(s)}

    return page("console_recruitments.html", status=status, form=extra.pop("form", {}), **in_session(load), **extra)


def _detail(code: str, status: int = 200, **extra: Any) -> Any:
    state = request.args.get("state", "undecided")
    if state not in selection.STATES:
        state = "undecided"

    def load(s: Session) -> dict[str, Any]:
        row = recruitments.by_code(s, code)
        shown = {stage: announcements.announcement(s, row.id, stage) for stage in ("result", "final")}
        return {"rec": recruitments.view(s, row), "row": row, "apps": selection.by_state(s, row.id, state),
                "announced": shown}

    return page("console_recruitment.html", status=status, state=state, states=selection.STATES,
                kinds=sorted(recruitments.KINDS), form=extra.pop("form", {}), **in_session(load), **extra)


def _act(code: str, work: Any, message: str, **form: Any) -> Any:
    """Run one change to the recruitment; its refusal shows on the page with what was typed."""
    try:
        in_session(work)
    except AppError as err:
        if err.status == 404 and err.code == "unknown_recruitment":
            raise
        return _detail(code, err.status, error=err.message, form=form)
    return done(message, url_for(".detail", code=code))


@bp.get("/")
@committee_only
def index() -> Any:
    """Every recruitment with its applications by state; erasure requests waiting for the committee."""
    return _index()


@bp.post("/")
@committee_only
def create() -> Any:
    """A new recruitment: code, title, period and retention date in the site's zone."""
    form = {k: (request.form.get(k) or "").strip() for k in ("code", "name", "opens", "closes", "retain")}
    actor = signed_in_staff().actor
    try:
        opens, closes = _when(form["opens"], _("Opens")), _when(form["closes"], _("Closes"))
        retain = _when(form["retain"], _("Keep applicants' data until"), required=False)
        in_session(lambda s: recruitments.create(s, form["code"], form["name"], opens, closes,  # type: ignore[arg-type]
                                                 actor=actor, retain_until=retain))
    except AppError as err:
        return _index(err.status, error=err.message, form=form)
    return done(_("Recruitment %(code)s created.", code=form["code"]), url_for(".detail", code=form["code"]))


@bp.post(f"/erasure/{INT}")
@committee_only
def erase(person_id: int) -> Any:
    """Carry out a person's erasure request."""
    actor = signed_in_staff().actor
    try:
        in_session(lambda s: retention.erase(s, person_id, actor=actor))
    except AppError as err:
        return _index(err.status, error=err.message)
    return done(_("The person's data were erased."), url_for(".index"))


@bp.get("/<code>")
@committee_only
def detail(code: str) -> Any:
    """The recruitment: its settings, formations, documents, applications by state and announcements."""
    return _detail(code)


@bp.post("/<code>")
@committee_only
def edit(code: str) -> Any:
    """Change the title, period or retention date."""
    form = {k: (request.form.get(k) or "").strip() for k in ("name", "opens", "closes", "retain")}
    actor = signed_in_staff().actor
    try:
        times = {"opens_at": _when(form["opens"], _("Opens"), required=False),
                 "closes_at": _when(form["closes"], _("Closes"), required=False),
                 "retain_until": _when(form["retain"], _("Keep applicants' data until"), required=False)}
    except AppError as err:
        return _detail(code, err.status, error=err.message, form=form)
    return _act(code, lambda s: recruitments.edit(s, code, name=form["name"] or None, actor=actor, **times),
                _("Recruitment %(code)s changed.", code=code), **form)


@bp.post("/<code>/formations")
@committee_only
def formation(code: str) -> Any:
    """Add a formation, or change one (same code, "change" ticked)."""
    form = {k: (request.form.get(k) or "").strip() for k in ("f_code", "f_name", "quota", "education", "paths")}
    actor, replace = signed_in_staff().actor, request.form.get("replace") == "1"
    paths = [p for p in form["paths"].replace(",", " ").split() if p] or ["general"]

    def work(s: Session) -> None:
        if not form["quota"].isdigit():
            raise AppError("bad_quota", _("The quota is at least 1."))
        recruitments.add_formation(s, code, form["f_code"], form["f_name"], int(form["quota"]), form["education"],
                                   paths, actor=actor, replace=replace)

    return _act(code, work, _("Formation %(code)s saved.", code=form["f_code"]), **form)


@bp.post("/<code>/documents")
@committee_only
def document(code: str) -> Any:
    """Add a required document with its types and size limit (KB)."""
    form = {k: (request.form.get(k) or "").strip() for k in ("d_code", "d_name", "max_kb")}
    kinds, actor = request.form.getlist("kinds"), signed_in_staff().actor

    def work(s: Session) -> None:
        if not form["max_kb"].isdigit():
            raise AppError("bad_size", _("The size limit is between 1 KB and 20 MB."))
        recruitments.add_requirement(s, code, form["d_code"], form["d_name"], kinds, int(form["max_kb"]) * 1024,
                                     actor=actor)

    return _act(code, work, _("Document %(code)s added.", code=form["d_code"]), **form)


@bp.post("/<code>/announce")
@committee_only
def announce(code: str) -> Any:
    """Announce the signed MS/TMS list (opening the objection window until the time given) or the final list."""
    stage, until = request.form.get("stage", ""), request.form.get("until", "")
    actor, data_dir, key = signed_in_staff().actor, runtime().config.data_dir, runtime().signing_key
    try:
        if stage not in ("result", "final"):
            raise AppError("bad_stage", _("Announce the MS/TMS result or the final list."))
        end = _when(until, _("End of the objection window")) if stage == "result" else None
    except AppError as err:
        return _detail(code, err.status, error=err.message, form={"until": until})

    def work(s: Session) -> int:
        if end is not None:
            return announcements.announce_result(s, code, data_dir, end, key, actor=actor)
        return announcements.announce_final(s, code, data_dir, key, actor=actor)

    return _act(code, work, _("Announced and published, signed."), until=until)


@bp.post("/<code>/expire")
@committee_only
def expire(code: str) -> Any:
    """Past the retention date: erase the applicants' personal data (typing the code again confirms)."""
    actor = signed_in_staff().actor
    if request.form.get("confirm", "").strip() != code:
        return _detail(code, 400, error=_("Type the recruitment code %(code)s to confirm.", code=code))
    return _act(code, lambda s: retention.expire(s, code, actor=actor),
                _("Applicants' personal data of %(code)s erased.", code=code))
