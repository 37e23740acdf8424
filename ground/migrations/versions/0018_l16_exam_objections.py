"""objections (sanggah) to an exam's results: the window per exam and each candidate's objection, sealed, with an
optional attachment in reg_files (issue 16)

Revision ID: 0018_l16_exam_objections
Revises: 0001_core
Create Date: 2026-12-01 02:30:00
"""

import sqlalchemy as sa
from alembic import op

import ground.db

revision = "0018_l16_exam_objections"
down_revision = "0001_core"
branch_labels = ("exam_objections",)
depends_on = ("0013_registration",)  # the attachment is a reg_files row

T = ground.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "exam_objection_windows",
        sa.Column("exam_id", sa.Integer(), sa.ForeignKey("exams.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("opens_at", T(), nullable=False),
        sa.Column("closes_at", T(), nullable=False),
        sa.Column("set_by", sa.String(128), nullable=False),
        sa.Column("set_at", T(), nullable=False),
    )
    op.create_table(
        "exam_objections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("exam_id", sa.Integer(), sa.ForeignKey("exams.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("candidate_id", sa.Integer(), sa.ForeignKey("candidates.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("attachment_sha256", sa.String(64), sa.ForeignKey("reg_files.sha256"), nullable=True),
        sa.Column("filed_at", T(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=True),
        sa.Column("answered_by", sa.String(128), nullable=True),
        sa.Column("answered_at", T(), nullable=True),
        sa.UniqueConstraint("exam_id", "candidate_id"),
    )


def downgrade() -> None:
    op.drop_table("exam_objections")
    op.drop_table("exam_objection_windows")
