"""staff_reset_links: one-time password-reset links (the token's SHA-256 only; single use, expiring)

Revision ID: 0022_l15_staff_reset_links
Revises: 0008_proctor_sessions
Create Date: 2026-12-01 02:30:00
"""

import sqlalchemy as sa
from alembic import op

import ground.db

revision = "0022_l15_staff_reset_links"
down_revision = "0008_proctor_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_reset_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", ground.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", ground.db.UTCDateTime(), nullable=False),
        sa.Column("used_at", ground.db.UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("staff_reset_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_reset_links_staff_id"), ["staff_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staff_reset_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_reset_links_staff_id"))
    op.drop_table("staff_reset_links")
