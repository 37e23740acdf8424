"""The audit chain stays one chain when several processes seal at once and rows commit out of id order."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from ground import audit, clock, db
from ground.models import AuditEvent
from ground.models.audit import AuditChain
from tests.conftest import drop_postgres_database, fresh_postgres_database


def _hammer(url: str, rounds: int) -> None:
    """One writer adds rows while three sealers (as three processes' tickers would) seal concurrently."""
    errors: list[BaseException] = []
    done = threading.Event()

    def writer() -> None:
        try:
            for i in range(rounds):
                with db.session_scope(url) as s:
                    audit.record(s, "hammer", actor="test", n=i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            done.set()

    def sealer() -> None:
        try:
            while not done.is_set():
                with db.session_scope(url) as s:
                    audit.seal_pending(s)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=sealer) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with db.session_scope(url) as s:
        audit.seal_pending(s)
    with db.session_scope(url) as s:
        assert s.scalar(select(AuditEvent.id).where(AuditEvent.hash == "")) is None
        assert audit.verify_chain(s) is None


def test_concurrent_sealers_extend_one_chain(db_url: str) -> None:
    _hammer(db_url, 300)


@pytest.mark.postgres
def test_a_row_committed_after_a_higher_id_was_sealed_is_chained_not_a_break() -> None:
    url, name = fresh_postgres_database()
    try:
        db.upgrade(url)
        late = db.session_factory(url)()
        try:
            early = audit.record(late, "slow_transaction", actor="test")
            late.flush()  # takes its id now, commits later
            with db.session_scope(url) as s:
                audit.record(s, "quick_transaction", actor="test")
            with db.session_scope(url) as s:
                assert audit.seal_pending(s) == 1  # only the committed, higher id is visible
            late.commit()
            late_id = early.id
        finally:
            late.close()
        with db.session_scope(url) as s:
            assert audit.seal_pending(s) == 1
        with db.session_scope(url) as s:
            assert audit.verify_chain(s) is None
            s.get(AuditEvent, late_id).reason = "rewritten"  # type: ignore[union-attr]
        with db.session_scope(url) as s:
            assert audit.verify_chain(s) == late_id
    finally:
        drop_postgres_database(name)


def test_deleted_rows_break_the_chain_in_the_middle_and_at_the_end(db_url: str) -> None:
    with db.session_scope(db_url) as s:
        for i in range(5):
            audit.record(s, "row", actor="test", n=i, at_text=clock.isoformat(clock.now()))
        audit.seal_pending(s)
    with db.session_scope(db_url) as s:
        ids = list(s.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
        assert audit.verify_chain(s) is None
        s.execute(delete(AuditEvent).where(AuditEvent.id == ids[-1]))  # the last row
    with db.session_scope(db_url) as s:
        assert audit.verify_chain(s) == ids[-1]
        s.execute(delete(AuditEvent).where(AuditEvent.id == ids[1]))  # and one in the middle
    with db.session_scope(db_url) as s:
        assert audit.verify_chain(s) == ids[2]


def test_a_deleted_chain_end_is_reported_not_skipped(db_url: str) -> None:
    """Without its recorded end the chain's tail cannot be confirmed: the check says so instead of passing."""
    with db.session_scope(db_url) as s:
        for i in range(3):
            audit.record(s, "row", actor="test", n=i)
        audit.seal_pending(s)
    with db.session_scope(db_url) as s:
        last = s.scalar(select(func.max(AuditEvent.id)))
        s.execute(delete(AuditChain))
    with db.session_scope(db_url) as s:
        assert audit.verify_chain(s) == last


def test_the_sealer_finds_unsealed_rows_through_the_partial_index(tmp_path: Path) -> None:
    """The per-second sealer's question never scans the whole log (SQLite's plan names the partial index)."""
    url = f"sqlite:///{tmp_path / 'plan.sqlite3'}"
    db.upgrade(url)
    with db.get_engine(url).connect() as conn:
        plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM audit_events WHERE hash = '' ORDER BY id LIMIT 1"))
    assert "ix_audit_events_pending" in plan, plan
    db.dispose_all()
