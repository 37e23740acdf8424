"""Item analysis feeds the bank: difficulty labels follow each item's latest measured p."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from exam_engine.cli import main
from exam_engine.demo import seed_demo
from ground import clock, db
from ground.config import Config
from ground.models import AuditEvent, Exam, Item
from ground.models.analysis import ItemStatistic

pytestmark = pytest.mark.usefixtures("english")


def test_relabel_difficulty_from_latest_statistics(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path / "data")
    seed_demo(config, candidates=1)
    url = config.sqlalchemy_url
    with db.session_scope(url) as s:
        exam = s.scalar(select(Exam))
        later = Exam(code="LATER", title="a later exam", duration_s=60, blueprint={}, grading={},
                     created_at=clock.now())
        s.add(later)
        s.flush()
        items = s.scalars(select(Item).order_by(Item.id)).all()[:4]
        measured = {}
        for item, (old_p, new_p) in zip(items, [(0.2, 0.9), (0.5, 0.5), (0.9, 0.1), (0.75, 0.70)], strict=True):
            for on, p in ((exam, old_p), (later, new_p)):  # the later exam's statistic wins
                s.add(ItemStatistic(exam_id=on.id, item_id=item.id, item_version_id=item.versions[-1].id,
                                    subtest=item.subtest, computed_at=clock.now(), n=100, p=p))
                clock.advance(1)
            measured[item.id] = new_p
        untouched = s.scalars(select(Item).order_by(Item.id)).all()[5]
        untouched_label = untouched.difficulty

    env = {**{k: v for k, v in os.environ.items() if k != "EXAM_DATABASE_URL"}, "EXAM_LOCALE": "en"}
    run = CliRunner(env=env).invoke(main, ["--data-dir", str(config.data_dir), "bank", "relabel-difficulty"])
    assert run.exit_code == 0, run.output
    assert "mudah 2, sedang 1, sulit 1" in run.output

    with db.session_scope(url) as s:
        labels = {i.id: i.difficulty for i in s.scalars(select(Item).where(Item.id.in_(measured)))}
        assert [labels[i] for i in measured] == ["mudah", "sedang", "sulit", "mudah"]  # 0.70 is still 'mudah'
        assert s.get(Item, untouched.id).difficulty == untouched_label, "items without statistics keep their label"
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "bank_difficulty_relabelled")) is not None

    bad = CliRunner(env=env).invoke(
        main, ["--data-dir", str(config.data_dir), "bank", "relabel-difficulty", "--easy", "0.2", "--hard", "0.5"]
    )
    assert bad.exit_code != 0 and "--hard must not be above --easy" in bad.output
