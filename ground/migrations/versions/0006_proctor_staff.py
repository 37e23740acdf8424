"""proctor: staff accounts and room assignments

Revision ID: 0006_proctor
Revises: 0001_core
Create Date: 2026-11-27 18:00:00
"""

import sqlalchemy as sa
from alembic import op

import ground.db

revision = "0006_proctor"
down_revision = "0001_core"
branch_labels = ("proctor",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.Column("created_at", ground.db.UTCDateTime(), nullable=False),
        sa.Column("last_sign_in_at", ground.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "room_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("staff_id", "room_id"),
    )
    with op.batch_alter_table("room_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_room_assignments_staff_id"), ["staff_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_room_assignments_room_id"), ["room_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("room_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_assignments_room_id"))
        batch_op.drop_index(batch_op.f("ix_room_assignments_staff_id"))
    op.drop_table("room_assignments")
    op.drop_table("staff_users")
