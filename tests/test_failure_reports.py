"""A test failing against a live server reports the server's tracebacks logged during that test, not older ones."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import server_tracebacks
from tests.live import SERVER_LOGS


def test_only_tracebacks_logged_after_the_mark_are_reported(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("Traceback (most recent call last):\n  an earlier test's error\n")
    mark = log.stat().st_size
    with log.open("a") as fh:
        fh.write("INFO fine\nERROR unhandled error on /daftar/account/data.json\nTraceback (most recent call last):\n"
                 "  File 'x.py', line 1\nOperationalError: database is locked\n")
    SERVER_LOGS.append(log)
    try:
        found = [t for t in server_tracebacks({log: mark}) if t[0] == f"server log {log}"]  # other servers' logs too
        assert len(found) == 1
        assert found[0][1].startswith("Traceback") and "database is locked" in found[0][1]
        assert "an earlier test's error" not in found[0][1]
        mine = [t for t in server_tracebacks({log: log.stat().st_size}) if t[0] == f"server log {log}"]
        assert mine == [], "nothing new, nothing reported"
    finally:
        SERVER_LOGS.remove(log)
