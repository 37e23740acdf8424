"""analysis: item statistics per exam (the bank's history of each item's difficulty and discrimination)

Revision ID: 0005_analysis
Revises: 0001_core
Create Date: 2026-11-27 18:00:00
"""

import sqlalchemy as sa
from alembic import op

import ground.db

revision = "0005_analysis"
down_revision = "0001_core"
branch_labels = ("analysis",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "item_statistics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("item_version_id", sa.Integer(), nullable=False),
        sa.Column("subtest", sa.String(length=32), nullable=False),
        sa.Column("computed_at", ground.db.UTCDateTime(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("p", sa.Float(), nullable=True),
        sa.Column("point_biserial", sa.Float(), nullable=True),
        sa.Column("corrected_r", sa.Float(), nullable=True),
        sa.Column("alpha_if_deleted", sa.Float(), nullable=True),
        sa.Column("upper_lower", sa.Float(), nullable=True),
        sa.Column("omit_rate", sa.Float(), nullable=True),
        sa.Column("irt_a", sa.Float(), nullable=True),
        sa.Column("irt_b", sa.Float(), nullable=True),
        sa.Column("irt_se_a", sa.Float(), nullable=True),
        sa.Column("irt_se_b", sa.Float(), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["exam_id"], ["exams.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_version_id"], ["item_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("exam_id", "item_version_id"),
    )
    with op.batch_alter_table("item_statistics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_statistics_exam_id"), ["exam_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_statistics_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_statistics_computed_at"), ["computed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item_statistics", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_statistics_computed_at"))
        batch_op.drop_index(batch_op.f("ix_item_statistics_item_id"))
        batch_op.drop_index(batch_op.f("ix_item_statistics_exam_id"))
    op.drop_table("item_statistics")
