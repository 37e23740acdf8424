"""One candidate as the committee prepares them: a photo (checked, sealed at rest like every personal file) and the
accommodations set in advance (extra time, larger text, high contrast), each change audited with its actor."""

from __future__ import annotations

import hashlib
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from ground import audit
from ground.errors import AppError
from ground.i18n import _
from ground.models import Candidate, Exam, Paper
from ground.models.registration import StoredFile
from ground.people_seal import file_aad, people_cipher
from proctor.roster import MAX_EXTRA_S

PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_MAX_PIXELS = 6000  # per side: a pass photo, not a poster
KINDS = {b"\xff\xd8\xff": ("image/jpeg", "JPEG"), b"\x89PNG\r\n\x1a\n": ("image/png", "PNG")}


def candidate_of(session: Session, exam: Exam, participant_no: str) -> Candidate:
    found = session.scalar(select(Candidate).where(Candidate.exam_id == exam.id,
                                                   Candidate.participant_no == participant_no.strip()))
    if found is None:
        raise AppError("unknown_candidate", _("Exam %(exam)s has no candidate %(number)s.", exam=exam.code,
                                              number=participant_no), 404)
    return found


def checked_photo(data: bytes) -> str:
    """The MIME type of a photo that really is a JPEG or PNG image within the limits; refused otherwise."""
    if not data:
        raise AppError("empty_file", _("Choose a file to upload."), 400)
    if len(data) > PHOTO_MAX_BYTES:
        raise AppError("file_too_large", _("A photo may be at most %(kb)s KB; this file is %(size)s KB.",
                                           kb=PHOTO_MAX_BYTES // 1024, size=-(-len(data) // 1024)), 413)
    kind = next((k for magic, k in KINDS.items() if data.startswith(magic)), None)
    if kind is None:
        raise AppError("file_type", _("A photo must be a JPEG or PNG image; this file is not."), 415)
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != kind[1] or max(img.size) > PHOTO_MAX_PIXELS or min(img.size) < 1:
                raise ValueError(img.format)
            img.verify()  # the whole file decodes: not just a JPEG header on something else
    except (UnidentifiedImageError, ValueError, OSError, SyntaxError, Image.DecompressionBombError):
        raise AppError("file_type", _("A photo must be a JPEG or PNG image; this file is not."), 415) from None
    return kind[0]


def set_photo(session: Session, exam: Exam, participant_no: str, data: bytes, *, actor: str) -> str:
    """Keep the candidate's photo, sealed, by its SHA-256 (shown on the attendance list); its hash."""
    candidate = candidate_of(session, exam, participant_no)
    mime = checked_photo(data)
    sha = hashlib.sha256(data).hexdigest()
    if session.get(StoredFile, sha) is None:
        sealed = people_cipher(session).seal_bytes(file_aad(sha, mime), data)
        session.add(StoredFile(sha256=sha, mime=mime, size=len(data), sealed=sealed))
        session.flush()
    candidate.photo_sha256 = sha
    audit.record(session, "candidate.photo_set", actor=actor, exam_id=exam.id, room_id=candidate.room_id,
                 candidate_id=candidate.id, sha256=sha, size=len(data))
    return sha


def photo_of(session: Session, candidate: Candidate) -> tuple[str, bytes] | None:
    """The candidate's photo (mime, bytes), opened from its seal; None without one."""
    if not candidate.photo_sha256:
        return None
    stored = session.get(StoredFile, candidate.photo_sha256)
    if stored is None:
        return None
    return stored.mime, people_cipher(session).open_bytes(file_aad(stored.sha256, stored.mime), stored.sealed)


def set_accommodations(session: Session, exam: Exam, participant_no: str, *, extra_time_s: int, large_text: bool,
                       high_contrast: bool, actor: str) -> Candidate:
    """Change what the candidate's paper is given in advance; extra time only before the paper starts (after, the
    proctor extends the time in the room)."""
    candidate = candidate_of(session, exam, participant_no)
    if not 0 <= extra_time_s <= MAX_EXTRA_S:
        raise AppError("bad_extra_time", _("Extra time is 0 to %(n)s minutes.", n=MAX_EXTRA_S // 60), 400)
    state = session.scalar(select(Paper.state).where(Paper.candidate_id == candidate.id))
    if extra_time_s != candidate.extra_time_s and state not in (None, "issued"):
        raise AppError("paper_started", _("The paper has started: the proctor extends the time in the room."), 409)
    before = {"extra_time_s": candidate.extra_time_s, "large_text": candidate.large_text,
              "high_contrast": candidate.high_contrast}
    candidate.extra_time_s, candidate.large_text, candidate.high_contrast = extra_time_s, large_text, high_contrast
    after = {"extra_time_s": extra_time_s, "large_text": large_text, "high_contrast": high_contrast}
    if after != before:
        audit.record(session, "candidate.accommodations_set", actor=actor, exam_id=exam.id,
                     room_id=candidate.room_id, candidate_id=candidate.id, before=before, after=after)
    return candidate
