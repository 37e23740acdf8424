"""Configuration from ``EXAM_*`` environment variables with defaults that work on a fresh machine."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT / "instance"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"EXAM_{name}")
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw is not None else default


@dataclass
class Config:
    """Settings of one installation; everything has a sane default derived from the data folder."""

    data_dir: Path = field(default_factory=lambda: Path(_env("DATA_DIR", str(DEFAULT_DATA_DIR))))
    database_url: str | None = field(default_factory=lambda: _env("DATABASE_URL"))
    secret_key: str | None = field(default_factory=lambda: _env("SECRET_KEY"))
    redis_url: str | None = field(default_factory=lambda: _env("REDIS_URL"))
    redis_channel: str = field(default_factory=lambda: _env("REDIS_CHANNEL", "exam-engine") or "exam-engine")
    locale: str = field(default_factory=lambda: _env("LOCALE", "id") or "id")
    login_attempts: int = field(default_factory=lambda: _env_int("LOGIN_ATTEMPTS", 10))
    login_window_s: int = field(default_factory=lambda: _env_int("LOGIN_WINDOW_S", 300))
    token_ttl_s: int = field(default_factory=lambda: _env_int("TOKEN_TTL_S", 12 * 3600))
    time_push_s: int = field(default_factory=lambda: _env_int("TIME_PUSH_S", 5))
    max_upload_bytes: int = field(default_factory=lambda: _env_int("MAX_UPLOAD_BYTES", 50 * 1024 * 1024))
    testing_clock: bool = field(default_factory=lambda: _env("TESTING_CLOCK", "0") == "1")

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).resolve()

    def ensure_data_dir(self) -> Path:
        """Create the data folder (and keys inside it) on first use."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    @property
    def sqlalchemy_url(self) -> str:
        """EXAM_DATABASE_URL, or SQLite in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'exam.sqlite3'}"

    def resolved_secret_key(self) -> str:
        """The Flask secret: given, or generated once and kept in the data folder."""
        if self.secret_key:
            return self.secret_key
        path = self.ensure_data_dir() / "secret.key"
        if not path.exists():
            write_private(path, secrets.token_urlsafe(48).encode())
        return path.read_text().strip()


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only (0600), atomically: every file the project writes goes this way."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)

