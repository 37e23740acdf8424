"""assessment: exams.practice (review after finishing), programmes, staff (sealed, found by keyed fingerprints),
invitations, sittings and seats (issue 18)

Revision ID: 0018_l18b_assessment
Revises: 0001_core
Create Date: 2026-12-01 02:10:00
"""

import sqlalchemy as sa
from alembic import op

import ground.db

revision = "0018_l18b_assessment"
down_revision = "0001_core"
branch_labels = ("assessment",)
depends_on = "0013_registration"

T = ground.db.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("exams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("practice", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "asm_programmes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("blueprint", sa.String(64), nullable=False),
        sa.Column("competencies", sa.JSON(), nullable=False),
        sa.Column("target", sa.JSON(), nullable=False),
        sa.Column("windows", sa.JSON(), nullable=False),
        sa.Column("period_months", sa.Integer(), nullable=False),
        sa.Column("practice", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", T(), nullable=False),
    )
    op.create_table(
        "asm_staff",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key_fp", sa.String(64), nullable=False, unique=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("unit", sa.String(255), nullable=False, index=True),
        sa.Column("position", sa.String(255), nullable=False),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("reg_people.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", T(), nullable=False),
        sa.Column("updated_at", T(), nullable=False),
    )
    op.create_table(
        "asm_invitations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("programme_id", sa.Integer(), sa.ForeignKey("asm_programmes.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("asm_staff.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("invited_by", sa.String(128), nullable=False),
        sa.Column("invited_at", T(), nullable=False),
        sa.UniqueConstraint("programme_id", "staff_id"),
    )
    op.create_table(
        "asm_sittings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("programme_id", sa.Integer(), sa.ForeignKey("asm_programmes.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("exam_id", sa.Integer(), sa.ForeignKey("exams.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("held_at", T(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", T(), nullable=False),
    )
    op.create_table(
        "asm_seats",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sitting_id", sa.Integer(), sa.ForeignKey("asm_sittings.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("asm_staff.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("candidate_id", sa.Integer(), sa.ForeignKey("candidates.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.UniqueConstraint("sitting_id", "staff_id"),
    )


def downgrade() -> None:
    for table in ("asm_seats", "asm_sittings", "asm_invitations", "asm_staff", "asm_programmes"):
        op.drop_table(table)
    with op.batch_alter_table("exams", schema=None) as batch_op:
        batch_op.drop_column("practice")
