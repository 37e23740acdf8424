"""Uploaded files kept private: what a file really is (its first bytes, not its name), the size and type checks with
the person's message, the bytes sealed under the people key and stored once by their SHA-256 (``reg_files``), and a
download that a browser never renders. Here, in ground, because an applicant's document (registration) and a
candidate's objection attachment (scoring.store.objections) are the same kind of thing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ground.errors import AppError
from ground.i18n import _
from ground.models.registration import StoredFile
from ground.people_seal import file_aad, people_cipher

KINDS = {"pdf": "application/pdf", "jpeg": "image/jpeg"}  # the only uploads accepted
# what a file's first bytes must be for each accepted kind (the name and the browser's type are not trusted)
MAGIC = {"pdf": b"%PDF-", "jpeg": b"\xff\xd8\xff"}


def sniff(data: bytes) -> str | None:
    """The accepted kind the bytes really are ("pdf", "jpeg"), or None."""
    for kind, magic in MAGIC.items():
        if data.startswith(magic):
            return kind
    return None


def checked(data: bytes, name: str, kinds: Iterable[str], max_bytes: int) -> str:
    """The file's MIME type once it is non-empty, at most ``max_bytes`` and really one of ``kinds``; else the
    refusal naming the document (``name``) as the person calls it."""
    kinds = list(kinds)
    if not data:
        raise AppError("empty_file", _("Choose a file to upload."))
    if len(data) > max_bytes:
        raise AppError("file_too_large", _("%(doc)s may be at most %(kb)s KB; this file is %(size)s KB.", doc=name,
                                           kb=max_bytes // 1024, size=-(-len(data) // 1024)), 413)
    kind = sniff(data)
    if kind is None or kind not in kinds:
        allowed = " / ".join(k.upper() for k in kinds)
        raise AppError("file_type", _("%(doc)s must be a %(kinds)s file; this file is not.", doc=name,
                                      kinds=allowed), 415)
    return KINDS[kind]


def store(session: Session, data: bytes, mime: str) -> str:
    """Seal and keep the bytes once (by SHA-256, bound into the seal with the type); their SHA-256."""
    sha = hashlib.sha256(data).hexdigest()
    if session.get(StoredFile, sha) is None:
        # two people may send the same bytes at once: the second insert is a no-op, not an integrity error
        sealed = people_cipher(session).seal_bytes(file_aad(sha, mime), data)
        insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(StoredFile).values(sha256=sha, mime=mime, size=len(data), sealed=sealed)
                        .on_conflict_do_nothing(index_elements=["sha256"]))
    return sha


def opened(session: Session, sha256: str) -> tuple[str, bytes]:
    """A stored file's (MIME type, bytes), opened; AppError 404 when it is not kept (any more)."""
    stored = session.get(StoredFile, sha256)
    if stored is None:
        raise AppError("unknown_document", _("No such document."), 404)
    return stored.mime, people_cipher(session).open_bytes(file_aad(stored.sha256, stored.mime), stored.sealed)


def download(mime: str, data: bytes, name: str) -> Any:
    """An uploaded file as a download only: never rendered as a page, never cached by a shared proxy (a Flask
    response; Flask imported here so the libraries storing files pull in no web framework)."""
    from flask import Response

    return Response(data, mimetype=mime, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store",
        "Content-Security-Policy": "sandbox; default-src 'none'"})
