"""candidate: answers.flag_seq, the per-paper sequence number of the last applied ragu-ragu flag change

Revision ID: 0007_candidate_flag_seq
Revises: 0001_core
Create Date: 2026-11-30 19:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_candidate_flag_seq"
down_revision = "0001_core"
branch_labels = ("candidate_seq",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flag_seq", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_column("flag_seq")
