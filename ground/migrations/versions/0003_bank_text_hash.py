"""bank: item_versions.text_hash (normalised question text) for same-text warnings on import

Revision ID: 0003_bank_text_hash
Revises: 0003_bank
Create Date: 2026-11-27 18:12:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_bank_text_hash"
down_revision = "0003_bank"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_item_versions_text_hash"), ["text_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_versions_text_hash"))
        batch_op.drop_column("text_hash")
