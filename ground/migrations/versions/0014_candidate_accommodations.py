"""candidate: accommodations set in advance per candidate (extra time in seconds, larger text, high contrast)

Revision ID: 0014_candidate_accommodations
Revises: 0013_candidate_answer_sets
Create Date: 2026-12-02 10:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_candidate_accommodations"
down_revision = "0013_candidate_answer_sets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extra_time_s", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("large_text", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("high_contrast", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_column("high_contrast")
        batch_op.drop_column("large_text")
        batch_op.drop_column("extra_time_s")
