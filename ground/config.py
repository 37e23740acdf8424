"""Configuration from ``EXAM_*`` environment variables with defaults that work on a fresh machine."""

from __future__ import annotations

import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ground import keyring
from ground.keyfiles import create_once, private_temp

log = logging.getLogger(__name__)
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
    # how long a caller waits for one of the process's Redis connections: an overloaded process's login is refused
    # as busy after that wait (the page comes back), never failed
    redis_wait_s: int = field(default_factory=lambda: _env_int("REDIS_WAIT_S", 10))
    # heavy committee jobs (an exam's item analysis) run in a child process at a lower CPU priority while serving,
    # so a live exam keeps its interpreter and its core; 0 runs them in a thread of the serving process
    jobs_apart: bool = field(default_factory=lambda: _env("JOBS_APART", "1") != "0")
    locale: str = field(default_factory=lambda: _env("LOCALE", "id") or "id")
    login_attempts: int = field(default_factory=lambda: _env_int("LOGIN_ATTEMPTS", 10))
    login_window_s: int = field(default_factory=lambda: _env_int("LOGIN_WINDOW_S", 300))
    # the longest wait a login may join in one process before it is refused with a Retry-After (the page retries);
    # well below the proxy's 60 s read timeout
    login_wait_s: int = field(default_factory=lambda: _env_int("LOGIN_WAIT_S", 20))
    token_ttl_s: int = field(default_factory=lambda: _env_int("TOKEN_TTL_S", 12 * 3600))
    time_push_s: int = field(default_factory=lambda: _env_int("TIME_PUSH_S", 60))  # the slow resync
    max_upload_bytes: int = field(default_factory=lambda: _env_int("MAX_UPLOAD_BYTES", 50 * 1024 * 1024))
    testing_clock: bool = field(default_factory=lambda: _env("TESTING_CLOCK", "0") == "1")
    # how many reverse proxies (nginx) stand in front: their X-Forwarded-* headers are believed, no one else's
    trusted_proxies: int = field(default_factory=lambda: _env_int("TRUSTED_PROXIES", 0))
    secure_cookies: bool = field(default_factory=lambda: _env("SECURE_COOKIES", "0") == "1")  # behind HTTPS
    site_zone: str = field(default_factory=lambda: _env("SITE_ZONE", "WIB") or "WIB")  # WIB, WITA or WIT: times shown
    # where the portal's verification codes go (registration/senders.py): log, mail, sms or mail+sms
    code_sender: str = field(default_factory=lambda: _env("CODE_SENDER", "log") or "log")
    smtp_host: str | None = field(default_factory=lambda: _env("SMTP_HOST"))
    smtp_port: int = field(default_factory=lambda: _env_int("SMTP_PORT", 587))
    smtp_user: str | None = field(default_factory=lambda: _env("SMTP_USER"))
    smtp_password: str | None = field(default_factory=lambda: _env("SMTP_PASSWORD"))
    smtp_from: str | None = field(default_factory=lambda: _env("SMTP_FROM"))
    smtp_starttls: bool = field(default_factory=lambda: _env("SMTP_STARTTLS", "1") != "0")
    sms_url: str | None = field(default_factory=lambda: _env("SMS_URL"))
    sms_token: str | None = field(default_factory=lambda: _env("SMS_TOKEN"))

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).resolve()
        keyring.register(self.sqlalchemy_url, self.data_dir)  # its sealed bank and PINs open with this folder's keys

    def ensure_data_dir(self) -> Path:
        """Create the data folder on first use, private to its owner (0700) like everything in it (0600): an
        installation made before this rule is tightened here, by ``init``, ``serve`` and every writing command."""
        private_dir(self.data_dir)
        for path in self.data_dir.rglob("*"):
            make_private(path, 0o700 if path.is_dir() and not path.is_symlink() else 0o600)
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
        path = private_dir(self.data_dir) / "secret.key"  # the folder only: init and create_app tightened the rest
        return create_once(path, lambda: secrets.token_urlsafe(48).encode()).decode().strip()


PRIVATE_UMASK = 0o077  # files and folders a process creates are its owner's only (the database's -wal/-shm too)


def private_process() -> None:
    """Make every file this process creates owner-only, whoever creates it (SQLite, a library, a log)."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """A folder only its owner may enter (0700): created so, or tightened if group or others had rights."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    make_private(path, 0o700)
    return path


def make_private(path: Path, mode: int = 0o600) -> None:
    """Take away group and other rights from an existing file or folder (one written before this rule)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode) or not st.st_mode & 0o077:  # a link's target may lie outside: left alone
        return
    try:
        os.chmod(path, mode)
    except FileNotFoundError:
        pass  # removed meanwhile (a temporary file renamed into place)
    except PermissionError:
        log.warning("cannot make %s private (owned by another user?); fix it by hand: chmod go= %s", path, path)


def create_private(path: Path) -> None:
    """Create an empty owner-only file if there is none, so whatever opens it later keeps it private."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        make_private(path)


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only (0600), atomically: every file the project writes goes this way."""
    tmp = private_temp(Path(path), data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

