"""Alembic environment: the engine comes from ground.db; batch mode keeps SQLite ALTERs possible."""

from alembic import context
from sqlalchemy import create_engine

import ground.models  # noqa: F401  (registers every table)
from ground.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Migrate through the engine the caller passed (or one made from the URL)."""
    engine = config.attributes.get("engine") or create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
