"""items.retired_at: a retired item stays in the bank (and in the papers that showed it) but is drawn no more

Revision ID: 0016_item_retired
Revises: 0011_bank_sealed
Create Date: 2026-11-30 23:55:00
"""

import sqlalchemy as sa
from alembic import op

import ground.db

revision = "0016_item_retired"
down_revision = "0011_bank_sealed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_at", ground.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
