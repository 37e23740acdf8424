"""The bank's tests read messages in their English source form; one test checks the Indonesian catalog."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from exam_engine.cli import main
from ground import db


@pytest.fixture(autouse=True)
def _english_messages(english: None) -> None:
    """Assertions here read English messages."""


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    """``exam-engine --data-dir <tmp>/inst …`` on a fresh SQLite data folder; ``.data_dir`` and ``.url`` name it."""
    monkeypatch.delenv("EXAM_MASTER_KEY", raising=False)
    monkeypatch.delenv("EXAM_DATABASE_URL", raising=False)
    data_dir = tmp_path / "inst"
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(main, ["--data-dir", str(data_dir), *args], catch_exceptions=False)

    invoke.data_dir = data_dir  # type: ignore[attr-defined]
    invoke.url = f"sqlite:///{data_dir / 'exam.sqlite3'}"  # type: ignore[attr-defined]
    yield invoke
    db.dispose_all()
