"""Which data folder holds the keys of a database: the bank's master key and the PIN pepper are found per database.

Code below the app (the bank store, scoring, candidate logins) holds only a SQLAlchemy session; the keys that open
what is sealed in that database live in an installation's data folder. ``Config`` registers its pair (database URL,
data folder) when it is made; a SQLite database not registered uses its own folder (the default layout).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session

# database URL (as SQLAlchemy renders it, password included) -> data folder; pepper by folder. Single dict reads and
# writes need no lock: two first logins at once both load the same pepper file.
_folders: dict[str, Path] = {}
_peppers: dict[Path, bytes] = {}


class NoKeyFolderError(RuntimeError):
    """A database whose data folder is unknown: its sealed bank and peppered PINs cannot be opened here."""


def register(url: str, data_dir: Path) -> None:
    """Record that ``url``'s keys live in ``data_dir`` (Config does this for its own pair)."""
    _folders[make_url(url).render_as_string(hide_password=False)] = Path(data_dir)


def registered() -> dict[str, Path]:
    """Every (database URL, data folder) pair known here, for a child process to register in turn."""
    return dict(_folders)


def data_dir_for_url(url: str | URL) -> Path:
    """The data folder of ``url``: registered, or for a SQLite file the folder it lies in."""
    parsed = make_url(url)
    found = _folders.get(parsed.render_as_string(hide_password=False))
    if found is not None:
        return found
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return Path(parsed.database).resolve().parent
    raise NoKeyFolderError(
        f"no data folder is known for {parsed.render_as_string(hide_password=True)}: make this installation's Config"
        " (EXAM_DATA_DIR with EXAM_DATABASE_URL) in this process first, or keyring.register(url, data_dir)"
    )


def session_url(session: Session) -> str:
    """The URL of the database ``session`` works on."""
    return session.get_bind().engine.url.render_as_string(hide_password=False)


def data_dir_for(session: Session) -> Path:
    """The data folder holding the keys of ``session``'s database."""
    return data_dir_for_url(session.get_bind().engine.url)


def master_key_for(session: Session) -> bytes:
    """The master key of ``session``'s installation (read each time: a rotation takes effect at once)."""
    from ground.crypto import load_master_key

    return load_master_key(data_dir_for(session))


def pin_pepper_for(session: Session) -> bytes:
    """The PIN pepper of ``session``'s installation (made once, kept in memory: it never changes)."""
    from ground.crypto import load_pin_pepper

    folder = data_dir_for(session)
    found = _peppers.get(folder)
    if found is None:
        found = _peppers[folder] = load_pin_pepper(folder)
    return found
