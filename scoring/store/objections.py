"""Objections (*sanggah*) to an exam's results, and the signed post-objection announcement (*pasca sanggah*).

The committee sets a window per exam; within it a candidate files one objection with their participant number and
PIN (the card's), a reason and an optional attachment (PDF or JPEG, checked by its bytes, sealed, kept by hash and
opened for the committee only); the committee answers each, accepted or rejected with the reason the candidate reads.
An accepted objection is carried out by the annulment and rescoring (scoring.store.rescoring), previewed first. Once
the window closed and every objection is answered, the results are announced again, signed: *pasca sanggah*.

Here, in a library, because the candidate's page (candidate/web) and the committee's console both use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import audit, clock, files, zones
from ground.errors import AppError
from ground.i18n import _
from ground.keyring import pin_pepper_for
from ground.models import Candidate, Exam, Result
from ground.models.objections import ExamObjection, ObjectionWindow
from ground.passwords import verify_pin
from ground.people_seal import exam_objection_aad, people_cipher
from scoring.store.announcement import announce_skd, exam_rules, record_signed

MIN_TEXT, MAX_TEXT = 10, 2000
ATTACHMENT_KINDS = ("pdf", "jpeg")
MAX_ATTACHMENT = 2 * 1024 * 1024
STAGE = "pasca-sanggah"


def window_of(session: Session, exam: Exam) -> ObjectionWindow | None:
    """The exam's objection window, if the committee set one."""
    return session.get(ObjectionWindow, exam.id)


def is_open(win: ObjectionWindow | None, now: datetime | None = None) -> bool:
    """Whether objections may be filed now (start inclusive, end exclusive)."""
    now = now or clock.now()
    return win is not None and win.opens_at <= now < win.closes_at


def set_window(session: Session, exam: Exam, opens_at: datetime, closes_at: datetime, *, actor: str) -> None:
    """Set (or move) the exam's objection window; audited."""
    if closes_at <= opens_at:
        raise AppError("bad_window", _("The objection window must end after it starts."), 400)
    win = window_of(session, exam)
    if win is None:
        win = ObjectionWindow(exam_id=exam.id)
        session.add(win)
    win.opens_at, win.closes_at, win.set_by, win.set_at = opens_at, closes_at, actor, clock.now()
    audit.record(session, "objection_window_set", actor=actor, exam_id=exam.id,
                 opens_at=clock.isoformat(opens_at), closes_at=clock.isoformat(closes_at))


def windows(session: Session) -> list[dict[str, Any]]:
    """Every exam with a window, open ones first, for the candidates' page (code, title, times)."""
    now = clock.now()
    rows = session.execute(select(Exam.code, Exam.title, ObjectionWindow.opens_at, ObjectionWindow.closes_at)
                           .join(ObjectionWindow, ObjectionWindow.exam_id == Exam.id)
                           .order_by(ObjectionWindow.closes_at.desc(), Exam.code)).all()
    out = [{"code": c, "title": t, "opens_at": o, "closes_at": e, "open": o <= now < e} for c, t, o, e in rows]
    return sorted(out, key=lambda w: not w["open"])


def _closed(exam: Exam, win: ObjectionWindow | None, zone: str) -> AppError:
    if win is None:
        return AppError("objections_closed", _("Objections to %(exam)s are not open.", exam=exam.code), 409)
    return AppError("objections_closed", _(
        "Objections to %(exam)s can be filed from %(opens)s to %(closes)s; it is not that time now.",
        exam=exam.code, opens=zones.local(win.opens_at, zone), closes=zones.local(win.closes_at, zone)), 409)


def candidate_for(session: Session, exam_code: str, participant_no: str, pin: str) -> tuple[Exam, Candidate]:
    """The exam and the candidate whose card PIN this is; one refusal for an unknown exam, number or wrong PIN."""
    bad = AppError("bad_credentials", _("Wrong participant number or PIN."), 401)
    if not (exam_code or "").strip():
        raise AppError("bad_request", _("Choose the exam."), 400, field="exam")
    exam = session.scalar(select(Exam).where(Exam.code == (exam_code or "").strip()))
    if exam is None:
        raise AppError("unknown_exam", _("No exam with code %(code)s.", code=(exam_code or "").strip()[:64]), 404)
    cand = session.scalar(select(Candidate).where(Candidate.exam_id == exam.id,
                                                  Candidate.participant_no == (participant_no or "").strip()))
    if cand is None or not verify_pin(cand.pin_hash, (pin or "").strip(), pepper=pin_pepper_for(session)):
        raise bad
    return exam, cand


def file_objection(session: Session, exam_code: str, participant_no: str, pin: str, reason: str,
                   attachment: bytes | None, *, zone: str) -> ExamObjection:
    """A candidate's one objection within the window: the reason (10–2000 characters) and an optional attachment
    (PDF or JPEG, at most 2 MB, by its bytes), sealed; refused with the reason, nothing stored."""
    exam = session.scalar(select(Exam).where(Exam.code == (exam_code or "").strip())) if exam_code else None
    if exam is not None:
        win = window_of(session, exam)
        if not is_open(win):
            raise _closed(exam, win, zone)
    exam, cand = candidate_for(session, exam_code, participant_no, pin)
    if session.scalar(select(ExamObjection.id).where(ExamObjection.exam_id == exam.id,
                                                     ExamObjection.candidate_id == cand.id)) is not None:
        raise AppError("already_objected", _("You objected already; the committee will answer."), 409)
    text = " ".join((reason or "").split())
    if not MIN_TEXT <= len(text) <= MAX_TEXT:
        raise AppError("bad_text", _("Write your objection in %(a)s to %(b)s characters.", a=MIN_TEXT, b=MAX_TEXT))
    sha = None
    if attachment:
        mime = files.checked(attachment, _("The attachment"), ATTACHMENT_KINDS, MAX_ATTACHMENT)
        sha = files.store(session, attachment, mime)
    row = ExamObjection(exam_id=exam.id, candidate_id=cand.id, attachment_sha256=sha, filed_at=clock.now(),
                        sealed=people_cipher(session).seal(exam_objection_aad(exam.id, cand.id),
                                                           {"reason": text, "answer": ""}))
    session.add(row)
    session.flush()
    audit.record(session, "objection_filed", actor=f"candidate:{cand.participant_no}", exam_id=exam.id,
                 candidate_id=cand.id, objection_id=row.id, attachment_sha256=sha)
    return row


@dataclass(frozen=True)
class ObjectionView:
    """An objection as the committee (or its own candidate) reads it, opened."""

    id: int
    participant_no: str
    name: str
    reason: str
    answer: str
    accepted: bool | None
    filed_at: datetime
    answered_by: str | None
    answered_at: datetime | None
    attachment: str | None  # the file's MIME type, when there is one
    total: float | None
    code: str | None


def _view(session: Session, row: ExamObjection, cand: Candidate) -> ObjectionView:
    body = people_cipher(session).open(exam_objection_aad(row.exam_id, row.candidate_id), row.sealed)
    result = session.scalar(select(Result).where(Result.exam_id == row.exam_id, Result.candidate_id == cand.id))
    mime = None
    if row.attachment_sha256:
        from ground.models.registration import StoredFile

        mime = session.scalar(select(StoredFile.mime).where(StoredFile.sha256 == row.attachment_sha256))
    return ObjectionView(row.id, cand.participant_no, cand.name, body["reason"], body["answer"], row.accepted,
                         row.filed_at, row.answered_by, row.answered_at, mime,
                         result.total if result is not None else None, result.code if result is not None else None)


def objections(session: Session, exam: Exam) -> list[ObjectionView]:
    """Every objection to the exam, unanswered first, then in filing order."""
    rows = session.execute(select(ExamObjection, Candidate).join(Candidate, Candidate.id == ExamObjection.candidate_id)
                           .where(ExamObjection.exam_id == exam.id).order_by(ExamObjection.id)).all()
    views = [_view(session, r, c) for r, c in rows]
    return sorted(views, key=lambda v: v.accepted is not None)


def own_objection(session: Session, exam: Exam, cand: Candidate) -> ObjectionView | None:
    """The candidate's objection to the exam (their reason and, once given, the committee's answer)."""
    row = session.scalar(select(ExamObjection).where(ExamObjection.exam_id == exam.id,
                                                     ExamObjection.candidate_id == cand.id))
    return _view(session, row, cand) if row is not None else None


def _objection(session: Session, exam: Exam, objection_id: int) -> tuple[ExamObjection, Candidate]:
    row = session.get(ExamObjection, objection_id)
    cand = session.get(Candidate, row.candidate_id) if row is not None else None
    if row is None or cand is None or row.exam_id != exam.id:
        raise AppError("unknown_objection", _("No such objection."), 404)
    return row, cand


def answer(session: Session, exam: Exam, objection_id: int, accepted: bool, text: str, *, actor: str) -> None:
    """The committee's decision on one objection with the reason the candidate reads; once, audited."""
    row, cand = _objection(session, exam, objection_id)
    if row.accepted is not None:
        raise AppError("already_answered", _("This objection was answered already."), 409)
    text = " ".join((text or "").split())
    if not text or len(text) > MAX_TEXT:
        raise AppError("answer_required", _("Write the answer the candidate will read."))
    cipher = people_cipher(session)
    aad = exam_objection_aad(row.exam_id, row.candidate_id)
    row.sealed = cipher.seal(aad, {**cipher.open(aad, row.sealed), "answer": text})
    row.accepted, row.answered_by, row.answered_at = accepted, actor, clock.now()
    audit.record(session, "objection_answered", actor=actor, exam_id=exam.id, candidate_id=cand.id,
                 objection_id=row.id, accepted=accepted)


def attachment(session: Session, exam: Exam, objection_id: int) -> tuple[str, bytes, str]:
    """An objection's attachment (MIME type, bytes, download name), for the committee only."""
    row, cand = _objection(session, exam, objection_id)
    if not row.attachment_sha256:
        raise AppError("unknown_document", _("No such document."), 404)
    mime, data = files.opened(session, row.attachment_sha256)
    ext = "pdf" if mime == "application/pdf" else "jpg"
    return mime, data, f"sanggah-{exam.code}-{cand.participant_no}.{ext}"


def counts(session: Session, exam: Exam) -> dict[str, int]:
    """How many objections were filed, accepted, rejected and are still unanswered."""
    decisions = list(session.scalars(select(ExamObjection.accepted).where(ExamObjection.exam_id == exam.id)))
    return {"filed": len(decisions), "accepted": sum(d is True for d in decisions),
            "rejected": sum(d is False for d in decisions), "open": sum(d is None for d in decisions)}


def refuse_until_settled(session: Session, exam: Exam, zone: str) -> dict[str, int]:
    """The objection counts once the window closed and every objection is answered; else the refusal."""
    win = window_of(session, exam)
    if win is None:
        raise AppError("no_window", _("Set the objection window first; the post-objection announcement follows it."),
                       409)
    if clock.now() < win.closes_at:
        raise AppError("objections_open", _("The objection window is open until %(closes)s.",
                                            closes=zones.local(win.closes_at, zone)), 409)
    n = counts(session, exam)
    if n["open"]:
        raise AppError("objections_unanswered", _("Answer every objection first: %(n)s left.", n=n["open"]), 409)
    return n


def export_pasca_sanggah(session: Session, exam: Exam, fmt: str, out: Path, key: Ed25519PrivateKey, zone: str,
                         actor: str = "system") -> Path:
    """The signed SKD announcement after the objections (codes stored again, audited as ``actor``): refused while
    the window is open, an objection unanswered or a paper open. Returns the .sig."""
    from scoring.exports import write_skd

    n = refuse_until_settled(session, exam, zone)
    formations = announce_skd(session, exam)
    note = (f"Pengumuman ini menggantikan pengumuman hasil SKD sebelumnya setelah masa sanggah. Sanggahan masuk: "
            f"{n['filed']}; diterima: {n['accepted']}; ditolak: {n['rejected']}.")
    sig = write_skd(formations, exam_rules(exam).subtests, fmt, out, key, exam.title, exam.code, zone=zone,
                    title="PENGUMUMAN HASIL SKD PASCA SANGGAH", note=note)
    record_signed(session, exam, STAGE, out, actor)
    return sig
