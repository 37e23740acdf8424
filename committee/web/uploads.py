"""Files a console page keeps between its preview and its commit: private, one folder each, tied to the browser."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from pathlib import Path

from flask import session

from ground.config import private_dir, write_private
from ground.errors import AppError
from ground.i18n import _
from ground.runtime import runtime

ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _root() -> Path:
    return runtime().config.data_dir / "uploads"


def keep(kind: str, filename: str, data: bytes, **options: object) -> str:
    """Store an upload in a folder of its own (its relative media resolve only there); the id goes to the session."""
    if not data:
        raise AppError("empty_upload", _("Choose a file to upload."), 400)
    upload_id = secrets.token_urlsafe(18)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(filename or "upload").name)[-100:] or "upload"
    folder = private_dir(_root() / upload_id)
    write_private(folder / name, data)
    session[f"upload_{kind}"] = {"id": upload_id, "name": name, **options}
    return upload_id


def pending(kind: str, upload_id: str) -> tuple[Path, dict[str, object]]:
    """The upload this browser previewed (the id it sends must be the one kept), and its options."""
    kept = session.get(f"upload_{kind}")
    if not isinstance(kept, dict) or not ID_RE.match(upload_id or "") or kept.get("id") != upload_id:
        raise AppError("no_upload", _("This preview has expired. Upload the file again."), 409)
    path = _root() / upload_id / str(kept["name"])
    if not path.is_file():
        raise AppError("no_upload", _("This preview has expired. Upload the file again."), 409)
    return path, kept


def discard(kind: str) -> None:
    """Forget this browser's upload of ``kind`` and delete its folder (and its media)."""
    kept = session.pop(f"upload_{kind}", None)
    if isinstance(kept, dict) and ID_RE.match(str(kept.get("id", ""))):
        shutil.rmtree(_root() / str(kept["id"]), ignore_errors=True)
        shutil.rmtree(_root() / f"{kept['id']}.media", ignore_errors=True)


def keep_media(upload_id: str, media: dict[str, tuple[str, bytes]]) -> None:
    """The pictures and recordings a previewed file holds, beside it (owner-only), so the preview can show them."""
    folder = private_dir(_root() / f"{upload_id}.media")
    for sha, (_mime, data) in media.items():
        write_private(folder / sha, data)
    write_private(folder / "index.json", json.dumps({sha: mime for sha, (mime, _data) in media.items()}).encode())


def previewed_media(kind: str, sha: str) -> tuple[str, bytes] | None:
    """A medium of this browser's previewed upload of ``kind`` (its MIME type, bytes), or None."""
    kept = session.get(f"upload_{kind}")
    if not isinstance(kept, dict) or not ID_RE.match(str(kept.get("id", ""))):
        return None
    folder = _root() / f"{kept['id']}.media"
    try:
        mime = json.loads((folder / "index.json").read_text(encoding="utf-8")).get(sha)
        return (str(mime), (folder / sha).read_bytes()) if mime else None
    except (OSError, ValueError):
        return None
