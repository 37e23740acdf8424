"""bank: item_versions.score_lower / score_upper (QTI mapping lowerBound/upperBound) kept per version

Revision ID: 0008_bank_score_bounds
Revises: 0003_bank_text_hash
Create Date: 2026-11-30 19:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_bank_score_bounds"
down_revision = "0003_bank_text_hash"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("score_lower", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("score_upper", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.drop_column("score_upper")
        batch_op.drop_column("score_lower")
