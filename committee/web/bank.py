"""The console's bank page: upload a file, see its import before it is stored, commit or cancel; browse items.

The import is ``question_bank.store.try_import``, the same as ``exam-engine bank import``: the preview runs it and
rolls back, the commit runs it again on the same file and commits (audited under the staff member's name).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from committee.web import uploads
from committee.web.console import committee_only, done, in_session, page
from ground import audit
from ground.errors import AppError
from ground.i18n import _
from ground.models import Item
from ground.staff.auth import signed_in_staff
from question_bank.formats import FormatError, ParseResult, Problem, ReadOptions, read_bytes
from question_bank.items import ItemDraft, OptionDraft, check_draft
from question_bank.store import BankImport, current_drafts, get_image, retire_items, retired_uids, try_import
from scoring.store.analysis import latest_difficulty

bp = Blueprint("console_bank", __name__, url_prefix="/committee/bank", template_folder="templates")
KIND = "bank"
SHOWN = 200  # items listed at once (search narrows it)


def _options() -> dict[str, Any]:
    try:
        points = float(request.form.get("points") or 5)
    except ValueError:
        raise AppError("bad_points", _("Points must be a number."), 400) from None
    return {"update": request.form.get("update") == "1", "skip_invalid": request.form.get("skip_invalid") == "1",
            "subtest": (request.form.get("subtest") or "").strip()[:16] or None, "points": points}


def _try(path: Any, opts: dict[str, Any], commit: bool, actor: str, upload_id: str | None = None) -> BankImport:
    try:
        options = ReadOptions(subtest=opts["subtest"], max_points=opts["points"], base_dir=path.parent)
        parsed = read_bytes(path.read_bytes(), path.name, options=options)  # places named by the file, not the folder
    except FormatError as exc:
        message = _("Cannot read %(file)s: %(error)s", file=path.name, error=str(exc))
        raise AppError("unreadable", message, 400) from None
    if upload_id is not None and parsed.images:  # a preview shows the file's pictures and recordings before storing
        uploads.keep_media(upload_id, dict(parsed.images))

    def work(s: Session) -> BankImport:
        tried = try_import(s, parsed, update=opts["update"], skip_invalid=opts["skip_invalid"])
        if tried.refused or not commit:
            s.rollback()
        else:
            r = tried.report
            audit.record(s, "bank_imported", actor=actor, file=path.name, format=tried.fmt, imported=r.imported,
                         updated=r.updated, duplicates=r.duplicates, skipped=r.skipped)
        return tried

    return in_session(work)


def _search(q: str, subtest: str) -> dict[str, Any]:
    def load(s: Session) -> dict[str, Any]:
        drafts = current_drafts(s)
        subtests = sorted({d.subtest for d in drafts})
        words = q.lower().split()
        found = [d for d in drafts if (not subtest or d.subtest == subtest) and all(
            w in " ".join([d.uid, d.text, d.category or "", d.difficulty or "", *d.tags]).lower() for w in words)]
        shown = found[:SHOWN]
        ids = dict(s.execute(select(Item.uid, Item.id).where(Item.uid.in_([d.uid for d in shown]))).all())
        measured = latest_difficulty(s, list(ids.values()))  # from 'exam-engine analysis' of finished exams
        return {"total": len(drafts), "found": len(found), "items": shown, "subtests": subtests,
                "retired": retired_uids(s), "p": {uid: measured[i] for uid, i in ids.items() if i in measured}}

    return in_session(load)


@bp.get("/")
@committee_only
def index() -> Any:
    """Upload form and the bank's items (search by words, filter by subtest)."""
    q, subtest = request.args.get("q", "")[:200], request.args.get("subtest", "")[:16]
    return page("console_bank.html", q=q, subtest=subtest, shown=SHOWN, **_search(q, subtest))


@bp.post("/preview")
@committee_only
def preview() -> Any:
    """Keep the upload and show what its import would do; nothing is stored."""
    file = request.files.get("file")
    try:
        opts = _options()
        uploads.discard(KIND)
        upload_id = uploads.keep(KIND, file.filename if file else "", file.read() if file else b"", **opts)
        path, _kept = uploads.pending(KIND, upload_id)
        tried = _try(path, opts, commit=False, actor=signed_in_staff().actor, upload_id=upload_id)
    except AppError as err:
        uploads.discard(KIND)
        return page("console_bank.html", status=err.status, error=err.message, q="", subtest="", shown=SHOWN,
                    **_search("", ""))
    return page("console_bank_preview.html", tried=tried, report=tried.report.as_dict(), upload_id=upload_id,
                name=path.name, opts=opts)


@bp.post("/commit")
@committee_only
def commit() -> Any:
    """Store the previewed file (the whole import runs again on it, in one transaction)."""
    path, kept = uploads.pending(KIND, request.form.get("upload_id", ""))
    tried = _try(path, kept, commit=True, actor=signed_in_staff().actor)
    if tried.refused:
        return page("console_bank_preview.html", status=422, tried=tried, report=tried.report.as_dict(),
                    upload_id=kept["id"], name=path.name, opts=kept)
    uploads.discard(KIND)
    r = tried.report
    return done(_("%(file)s imported: %(new)s new, %(updated)s updated, %(unchanged)s unchanged, %(skipped)s skipped.",
                  file=path.name, new=r.imported, updated=r.updated, unchanged=r.unchanged, skipped=r.skipped),
                url_for(".index"))


@bp.post("/cancel")
@committee_only
def cancel() -> Any:
    """Drop the previewed file; the bank is unchanged."""
    uploads.discard(KIND)
    return done(_("Import cancelled: the bank is unchanged."), url_for(".index"))


@bp.post("/retire")
@committee_only
def retire() -> Any:
    """Retire an item (new papers draw it no more) or bring it back, with the reason (``exam-engine bank retire``)."""
    uid, reason = (request.form.get("uid") or "").strip(), (request.form.get("reason") or "").strip()[:500]
    restore, actor = request.form.get("restore") == "1", signed_in_staff().actor
    if not reason:
        return page("console_bank.html", status=400, error=_("Give a reason: it goes into the audit log."), q=uid,
                    subtest="", shown=SHOWN, **_search(uid, ""))

    def work(s: Session) -> list[str]:
        changed = retire_items(s, [uid], retire=not restore)
        audit.record(s, "bank.restored" if restore else "bank.retired", actor=actor, reason=reason, uids=changed)
        return changed

    in_session(work)
    message = _("%(uid)s is in use again.", uid=uid) if restore else _("%(uid)s is retired: new papers no longer "
                                                                      "draw it.", uid=uid)
    return done(message, url_for(".index", q=uid))


def _current(s: Session, uid: str) -> ItemDraft:
    found = [d for d in current_drafts(s) if d.uid == uid]
    if not found:
        raise AppError("unknown_item", _("No item %(uids)s in the bank.", uids=uid), 404)
    return found[0]


@bp.get("/item/<code>")
@committee_only
def item(code: str) -> Any:
    """An item's current version as an editable form (saving makes a new version; papers issued keep theirs)."""
    return page("console_bank_item.html", d=in_session(lambda s: _current(s, code)), problems=[])


def _edited(current: ItemDraft) -> ItemDraft:
    """The current draft with the form's text, labels, explanation and options (media kept; HTML only if the text
    did not change, since it is the same stem's richer form)."""
    text = (request.form.get("text") or "").replace("\r\n", "\n").strip()
    options = []
    for i, old in enumerate(current.options):
        try:
            points = float(request.form.get(f"points_{i}") or 0)
        except ValueError:
            raise AppError("bad_points", _("Points must be a number."), 400) from None
        options.append(OptionDraft((request.form.get(f"option_{i}") or "").strip(), points, old.media))
    return replace(
        current, text=text, html=current.html if text == current.text else None, options=options,
        category=(request.form.get("category") or "").strip() or None,
        difficulty=(request.form.get("difficulty") or "").strip() or None,
        explanation=(request.form.get("explanation") or "").strip() or None, source="console",
    )


@bp.post("/item/<code>")
@committee_only
def save_item(code: str) -> Any:
    """Store the edited item as a new version through the import path (the same checks as a file)."""
    actor = signed_in_staff().actor
    current = in_session(lambda s: _current(s, code))
    edited = _edited(current)
    problems = [Problem(code, message) for message in check_draft(edited)]

    def work(s: Session) -> BankImport:
        tried = try_import(s, ParseResult(items=[edited], problems=list(problems), fmt="console"), update=True)
        if tried.refused:
            s.rollback()
        elif tried.report.updated:
            audit.record(s, "bank_item_edited", actor=actor, uid=code)
        return tried

    tried = in_session(work)
    if tried.refused:
        return page("console_bank_item.html", status=422, d=edited, problems=tried.report.problems)
    message = _("%(uid)s saved as a new version.", uid=code) if tried.report.updated else _(
        "%(uid)s is unchanged.", uid=code)
    return done(message, url_for(".index", q=code))


SHA_RE = re.compile(r"^[0-9a-f]{64}$")


@bp.get("/media/<code>")
@committee_only
def media(code: str) -> Response:
    """A bank image, recording or video by its hash (``bank:<sha256>``), opened from its seal for the item preview;
    the committee's eyes only, never cached; one of this browser's previewed file is shown from beside it."""
    found = in_session(lambda s: get_image(s, code)) if SHA_RE.match(code) else None
    if found is None and SHA_RE.match(code):
        found = uploads.previewed_media(KIND, code)  # a previewed file's, not stored yet
    if found is None:
        raise AppError("not_found", _("That file is not in the bank."), 404)
    return Response(found[1], mimetype=found[0], headers={"Cache-Control": "no-store, private"})
