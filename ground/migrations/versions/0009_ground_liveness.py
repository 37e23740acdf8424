"""liveness: serving processes with their heartbeat, and which process holds each candidate connection

Revision ID: 0009_liveness
Revises: 0001_core
Create Date: 2026-11-30 19:15:00
"""

import sqlalchemy as sa
from alembic import op

import ground.db

revision = "0009_liveness"
down_revision = "0001_core"
branch_labels = ("liveness",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "server_processes",
        sa.Column("id", sa.String(length=96), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", ground.db.UTCDateTime(), nullable=False),
        sa.Column("beat", sa.BigInteger(), nullable=False),
        sa.Column("beat_at", ground.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "connection_holders",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=96), nullable=False),
        sa.Column("since", ground.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sid"),
    )
    with op.batch_alter_table("connection_holders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_connection_holders_paper_id"), ["paper_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_connection_holders_process_id"), ["process_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("connection_holders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connection_holders_process_id"))
        batch_op.drop_index(batch_op.f("ix_connection_holders_paper_id"))
    op.drop_table("connection_holders")
    op.drop_table("server_processes")
