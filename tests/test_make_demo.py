"""`make demo` is the README's first command: its demo line must seed and describe a working installation."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_make_demo_seeds_the_data_folder_it_names(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    plan = subprocess.run(
        ["make", "-n", "demo", "PORT=5123", f"DATA={tmp_path / 'demo'}"], cwd=ROOT, capture_output=True, text=True,
        check=True,
    ).stdout.splitlines()
    demo_lines = [line for line in plan if "exam-engine" in line and " demo" in line]
    assert len(demo_lines) == 1, plan
    command = [*shlex.split(demo_lines[0]), "--seed-only"]  # everything make would run, without serving
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    creds = json.loads((tmp_path / "demo" / "demo-credentials.json").read_text())
    assert creds["url"] == "http://127.0.0.1:5123/"
    assert len(creds["candidates"]) == 20 and creds["room_token"]
    assert {s["role"] for s in creds["staff"]} == {"proctor", "committee"}
    assert creds["room_token"] in done.stdout and "5123" in done.stdout  # printed for the person at the keyboard
