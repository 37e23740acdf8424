"""analysis: analysis_reports, each exam's last item-analysis report per language, sealed with the bank key

Revision ID: 0024_analysis_reports
Revises: 0005_analysis
Create Date: 2026-12-03 16:20:00
"""

import sqlalchemy as sa
from alembic import op

import ground.db

revision = "0024_analysis_reports"
down_revision = "0005_analysis"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analysis_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("basis", sa.String(length=64), nullable=False),
        sa.Column("computed_at", ground.db.UTCDateTime(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["exam_id"], ["exams.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("exam_id", "locale"),
    )


def downgrade() -> None:
    op.drop_table("analysis_reports")
