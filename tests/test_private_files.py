"""Everything the project writes in the data folder is its owner's only: folder 0700, every file 0600."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from exam_engine.cli import main
from exam_engine.demo import seed_demo
from ground.config import Config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def lax_umask() -> Iterator[None]:
    """A shell's usual umask (022): the project must not rely on the caller's umask for privacy."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _env() -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k != "EXAM_DATABASE_URL"}, "EXAM_LOCALE": "en"}


def _run(data: Path, *args: str) -> str:
    res = CliRunner(env=_env()).invoke(main, ["--data-dir", str(data), *args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


def _open_to_others(data: Path) -> list[str]:
    """Every path under ``data`` (itself included) that its group or others may read, write or enter."""
    found = []
    for path in [data, *data.rglob("*")]:
        mode = stat.S_IMODE(os.lstat(path).st_mode)
        if mode & 0o077:
            found.append(f"{path.relative_to(data.parent)} {oct(mode)}")
    return found


def test_demo_import_cards_and_exports_are_private(tmp_path: Path, lax_umask: None) -> None:
    data = tmp_path / "data"
    seed_demo(Config(data_dir=data), candidates=2)
    src = tmp_path / "peserta.csv"
    src.write_text("no_peserta,nama,tanggal_lahir,formasi,jalur,sesi,ruang\n"
                   "3171000001,Budi <b,1998-02-03,Analis,general,1,LAB-A\n", encoding="utf-8")
    _run(data, "candidates", "import", str(src), "--exam", "DEMO-SKD")
    pins = next(data.glob("pins-*.csv"))
    _run(data, "cards", str(pins), "--out", str(data / "kartu"))
    scores = tmp_path / "scores.csv"
    scores.write_text("participant_no,name,formation,formation_quota,TWK,TIU,TKP\n1,=A,F,1,100,100,200\n")
    os.makedirs(data / "exports", mode=0o700)
    for out in ("ranked.csv", "ranked.xlsx", "ranked.json"):
        _run(data, "rank", str(scores), "--out", str(data / "exports" / out))
    names = {p.name for p in data.rglob("*")}
    assert {"exam.sqlite3", "demo-credentials.json", "kartu-LAB-A-S1.pdf", "ranked.xlsx.sig", pins.name} <= names
    assert _open_to_others(data) == []


def test_an_older_lax_installation_is_tightened_by_the_command(tmp_path: Path, lax_umask: None) -> None:
    data = tmp_path / "data"
    seed_demo(Config(data_dir=data), candidates=1)
    os.chmod(data, 0o755)
    for path in data.iterdir():
        os.chmod(path, 0o644)
    out = subprocess.run([sys.executable, "-m", "exam_engine", "--data-dir", str(data), "init"],
                         env=_env(), capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert _open_to_others(data) == [], "the folder, the database (with its -wal/-shm), keys and credentials"
