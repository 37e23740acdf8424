"""registration: signed selection announcements (MS/TMS with the objection window, final list) and objections
(sanggah) with their answers, sealed (issue 17)

Revision ID: 0014_registration_objections
Revises: 0013_registration
Create Date: 2026-11-30 23:30:00
"""

import sqlalchemy as sa
from alembic import op

import ground.db

revision = "0014_registration_objections"
down_revision = "0013_registration"
branch_labels = None
depends_on = None

T = ground.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "reg_announcements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("recruitment_id", sa.Integer(), sa.ForeignKey("reg_recruitments.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("objections_until", T(), nullable=True),
        sa.Column("announced_by", sa.String(128), nullable=False),
        sa.Column("announced_at", T(), nullable=False),
        sa.UniqueConstraint("recruitment_id", "stage"),
    )
    op.create_table(
        "reg_objections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("application_id", sa.Integer(), sa.ForeignKey("reg_applications.id", ondelete="CASCADE"),
                  nullable=False, unique=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("filed_at", T(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=True),
        sa.Column("answered_by", sa.String(128), nullable=True),
        sa.Column("answered_at", T(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("reg_objections")
    op.drop_table("reg_announcements")
