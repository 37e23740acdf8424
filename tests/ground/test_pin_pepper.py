"""PIN hashes keyed with the data folder's pepper (issue 11): a stolen database alone does not verify a PIN; with the
folder, the candidate logs in; hashes written before the pepper keep verifying."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sqlalchemy import select

from candidate import sessions
from exam_engine.demo import seed_demo
from ground import crypto, db, keyring
from ground.config import Config
from ground.keyfiles import init_keys
from ground.models import Candidate
from ground.passwords import PEPPERED, hash_pin, verify_pin

_PIN_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)  # the PIN parameters


def test_stolen_database_without_the_pepper_verifies_no_pin_and_login_works_with_it(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path / "data", database_url=None)
    creds = seed_demo(config, candidates=2)
    first = creds["candidates"][0]
    with db.session_scope(config.sqlalchemy_url) as s:
        stored = s.scalar(select(Candidate.pin_hash).where(Candidate.participant_no == first["participant_no"]))
        pepper = keyring.pin_pepper_for(s)
    assert stored.startswith(PEPPERED) and first["pin"] not in stored
    with pytest.raises(VerifyMismatchError):  # the thief's guess, the right PIN itself, at the argon2 hash
        _PIN_HASHER.verify(stored[len(PEPPERED) :], first["pin"])
    assert not verify_pin(stored, first["pin"], pepper=os.urandom(32))  # any other pepper
    assert verify_pin(stored, first["pin"], pepper=pepper)
    assert pepper == crypto.load_pin_pepper(config.data_dir)
    assert oct((config.data_dir / "pin.pepper").stat().st_mode & 0o777) == "0o600"
    with db.session_scope(config.sqlalchemy_url) as s:
        outcome = sessions.login(s, first["participant_no"], first["pin"], creds["room_token"])
        assert outcome is not None
    db.dispose_all()


def test_hashes_written_before_the_pepper_keep_verifying() -> None:
    old = _PIN_HASHER.hash("482913")
    assert verify_pin(old, "482913", pepper=os.urandom(32))
    assert not verify_pin(old, "000000", pepper=os.urandom(32))
    pepper = os.urandom(32)
    new = hash_pin("482913", pepper)
    assert verify_pin(new, "482913", pepper=pepper) and not verify_pin(new, "482914", pepper=pepper)
    assert not verify_pin("pep1$garbage", "482913", pepper=pepper)


def test_init_makes_the_pepper_once(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path / "inst", database_url=None)
    init_keys(config)
    made = (config.data_dir / "pin.pepper").read_bytes()
    init_keys(config)
    assert (config.data_dir / "pin.pepper").read_bytes() == made and len(crypto.b64d(made.decode().strip())) == 32
