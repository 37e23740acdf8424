"""audit_events: a partial index of the unsealed rows, so the per-second sealer finds them without a scan

Revision ID: 0012_audit_pending
Revises: 0010_audit_chain
Create Date: 2026-11-30 21:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_audit_pending"
down_revision = "0010_audit_chain"
branch_labels = None
depends_on = None

PENDING = sa.text("hash = ''")


def upgrade() -> None:
    op.create_index("ix_audit_events_pending", "audit_events", ["id"], sqlite_where=PENDING,
                    postgresql_where=PENDING)


def downgrade() -> None:
    op.drop_index("ix_audit_events_pending", table_name="audit_events")
