"""Which data folder holds the keys of a database: the bank's master key and the PIN pepper are found per database.

Code below the app (the bank store, scoring, candidate logins) holds only a SQLAlchemy session; the keys that open
what is sealed in that database live in an installation's data folder. ``Config`` registers its pair (database URL,
data folder) when it is made; a SQLite database not registered uses its own folder (the default layout).
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

_folders: dict[str, Path] = {}
_peppers: dict[Path, bytes] = {}
_lock = threading.Lock()


class NoKeyFolderError(RuntimeError):
    """A database whose data folder is unknown: its sealed bank and peppered PINs cannot be opened here."""


def _key(url: str) -> str:
    return make_url(url).render_as_string(hide_password=False)


def register(url: str, data_dir: Path) -> None:
    """Record that ``url``'s keys live in ``data_dir`` (Config does this for its own pair)."""
    with _lock:
        _folders[_key(url)] = Path(data_dir)


def data_dir_for_url(url: str) -> Path:
    """The data folder of ``url``: registered, or for a SQLite file the folder it lies in."""
    parsed = make_url(url)
    with _lock:
        found = _folders.get(_key(url))
    if found is not None:
        return found
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return Path(parsed.database).resolve().parent
    raise NoKeyFolderError(f"no data folder is known for {parsed.render_as_string(hide_password=True)}")


def session_url(session: Session) -> str:
    """The URL of the database ``session`` works on."""
    return session.get_bind().engine.url.render_as_string(hide_password=False)


def data_dir_for(session: Session) -> Path:
    """The data folder holding the keys of ``session``'s database."""
    return data_dir_for_url(session_url(session))


def master_key_for(session: Session) -> bytes:
    """The master key of ``session``'s installation (read each time: a rotation takes effect at once)."""
    from ground.crypto import load_master_key

    return load_master_key(data_dir_for(session))


def pin_pepper_for(session: Session) -> bytes:
    """The PIN pepper of ``session``'s installation (made once, kept in memory: it never changes)."""
    from ground.crypto import load_pin_pepper

    folder = data_dir_for(session)
    with _lock:
        found = _peppers.get(folder)
    if found is None:
        found = load_pin_pepper(folder)
        with _lock:
            _peppers[folder] = found
    return found
