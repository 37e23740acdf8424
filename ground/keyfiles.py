"""Key files made once, atomically: processes that start together all end with the same key.

A key is written to a temporary file of its own (unique name, exclusive create, owner-only, fsync) and then
published with ``os.link``, which, unlike a rename, never replaces an existing file: the first process to
publish wins and every other one reads the winner's key. A reader never sees a half-written key.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # ground.config reads its secret through this module
    from ground.config import Config


def _fsync_dir(folder: Path) -> None:
    """Make the new directory entry durable (a power cut after init must not lose the key)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def private_temp(path: Path, data: bytes) -> Path:
    """``data`` in a new owner-only (0600) file beside ``path``, on disk: the one way a file is written before it
    is published (linked by :func:`create_once`, renamed by ``ground.config.write_private``)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never an old file with looser rights
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def create_once(path: Path, make: Callable[[], bytes]) -> bytes:
    """The content of ``path``, made by ``make()`` if the file does not exist yet; safe against racing creators."""
    path = Path(path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    data = make()
    tmp = private_temp(path, data)
    try:
        try:
            os.link(tmp, path)  # atomic and exclusive: fails if another process published first
        except FileExistsError:
            return path.read_bytes()
        _fsync_dir(path.parent)
        return data
    finally:
        tmp.unlink(missing_ok=True)


def init_keys(config: Config) -> None:
    """Every key (master, signing, secret, PIN pepper) made now, atomically, before any serving; keys given in the
    env are not."""
    from ground.crypto import load_master_key, load_pin_pepper, load_signing_key  # crypto reads its files here

    config.ensure_data_dir()
    load_master_key(config.data_dir)
    load_pin_pepper(config.data_dir)
    load_signing_key(config.data_dir)
    config.resolved_secret_key()
