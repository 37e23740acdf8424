"""Processes started together on a fresh data folder end with one set of keys, and every receipt verifies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import requests
from click.testing import CliRunner

from exam_engine.cli import main as cli
from ground.crypto import load_signing_key, public_key_pem
from tests.live import free_port, wait_until_up

ROOT = Path(__file__).resolve().parents[2]

# A child: import everything first, say "ready", wait for the common "go", then make (or read) the keys exactly
# as `exam-engine init` does (ground.keyfiles.init_keys) and sign one receipt with the key it ended up with.
CHILD = """
import hashlib, json, sys
from pathlib import Path
from ground.config import Config
from ground.crypto import load_master_key, load_pin_pepper, load_signing_key, public_key_pem
from ground.keyfiles import init_keys
from scoring.receipts import make_receipt
data_dir = Path(sys.argv[1])
config = Config(data_dir=data_dir)
print("ready", flush=True)
sys.stdin.readline()
init_keys(config)
key = load_signing_key(data_dir)
print(json.dumps({
    "public": public_key_pem(key),
    "master": hashlib.sha256(load_master_key(data_dir)).hexdigest(),
    "secret": hashlib.sha256(config.resolved_secret_key().encode()).hexdigest(),
    "pepper": hashlib.sha256(load_pin_pepper(data_dir)).hexdigest(),
    "receipt": make_receipt(key, {"paper": int(sys.argv[2])}),
}), flush=True)
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("EXAM_MASTER_KEY", "EXAM_SECRET_KEY", "EXAM_DATA_DIR")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _race(data_dir: Path, n: int) -> list[dict[str, str]]:
    """Start ``n`` children, wait until each is ready, release them at once, collect what each ended with."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(data_dir), str(i)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT,
        )
        for i in range(n)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    for child in children:  # the "go": every child is already past its imports
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    outs = []
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        outs.append(json.loads(out))
    return outs


def _verify(data_dir: Path, receipt: str) -> int:
    """The operator's check: ``exam-engine verify-receipt`` against the installation's own key."""
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), "verify-receipt", receipt]).exit_code


def test_processes_loading_keys_together_end_with_one_signing_key(tmp_path: Path) -> None:
    rounds, per_round = 20, 3
    for r in range(rounds):
        data_dir = tmp_path / f"round{r}"
        outs = _race(data_dir, per_round)
        assert len({o["public"] for o in outs}) == 1, f"round {r}: different signing keys"
        assert len({o["master"] for o in outs}) == 1, f"round {r}: different master keys"
        assert len({o["secret"] for o in outs}) == 1, f"round {r}: different secrets"
        assert len({o["pepper"] for o in outs}) == 1, f"round {r}: different PIN peppers"
        assert sorted(p.name for p in data_dir.iterdir()) == ["master.key", "pin.pepper", "secret.key", "signing.key"]
        assert public_key_pem(load_signing_key(data_dir)) == outs[0]["public"]
        assert all(_verify(data_dir, o["receipt"]) == 0 for o in outs), f"round {r}: a receipt does not verify"
        keys = ("master.key", "signing.key", "pin.pepper")
        assert all((data_dir / name).stat().st_mode & 0o077 == 0 for name in keys)


def test_init_commands_started_together_all_succeed_with_one_key(tmp_path: Path) -> None:
    for r in range(2):
        data_dir = tmp_path / f"round{r}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "exam_engine", "--data-dir", str(data_dir), "init"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT,
            )
            for _ in range(2)
        ]
        for p in procs:  # the tables are made once too: the second migrator waits for the first
            _out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
        assert {p.name for p in data_dir.iterdir() if p.name.endswith(".key")} == {
            "master.key", "signing.key", "secret.key",
        }
        assert not [p for p in data_dir.iterdir() if p.name.endswith(".tmp")]
        receipt = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "verify-receipt", "x.y"])
        assert receipt.exit_code != 0  # a forged receipt is still refused by the same key


def test_two_servers_started_together_on_a_fresh_folder_publish_one_key(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    servers = []
    try:
        for _ in range(2):
            port = free_port()
            log = (tmp_path / f"serve-{port}.log").open("wb")
            servers.append((port, subprocess.Popen(
                [sys.executable, "-m", "exam_engine", "--data-dir", str(data_dir), "serve", "--port", str(port)],
                stdout=log, stderr=subprocess.STDOUT, env=_env(), cwd=ROOT,
            )))
        keys = set()
        for port, proc in servers:
            url = f"http://127.0.0.1:{port}"
            wait_until_up(url + "/api/v1/health", proc, 60, lambda: "".join(
                p.read_text(errors="replace")[-2000:] for p in tmp_path.glob("serve-*.log")))
            keys.add(requests.get(url + "/api/v1/public-key", timeout=10).text)
        assert keys == {public_key_pem(load_signing_key(data_dir))}, "both processes sign with the folder's one key"
    finally:
        for _, proc in servers:
            proc.terminate()
            proc.wait(timeout=20)
