"""A fresh PostgreSQL database per benchmark run: a run never meets an earlier run's (or a test's) rows."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url


def _admin(given: str) -> Engine:
    return create_engine(make_url(given), isolation_level="AUTOCOMMIT")


def fresh_database(given: str, name: str) -> str:
    """The URL of an empty database ``name`` on the server of ``given`` (dropped first if a run left it)."""
    admin = _admin(given)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(given).set(database=name).render_as_string(hide_password=False)


def drop_database(given: str, name: str) -> None:
    """Remove the scratch database again."""
    admin = _admin(given)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
