"""audit_chain: the end of the sealed audit chain, locked by whoever seals (several processes seal at once)

Revision ID: 0010_audit_chain
Revises: 0001_core
Create Date: 2026-11-30 19:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_audit_chain"
down_revision = "0001_core"
branch_labels = ("audit_chain",)
depends_on = None


def upgrade() -> None:
    chain = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=True),
        sa.Column("sealed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    conn = op.get_bind()  # an existing chain was sealed in id order: its end is the highest sealed row
    last = conn.execute(sa.text(
        "SELECT id, hash FROM audit_events WHERE hash != '' ORDER BY id DESC LIMIT 1"
    )).first()
    count = conn.execute(sa.text("SELECT count(*) FROM audit_events WHERE hash != ''")).scalar() or 0
    op.bulk_insert(chain, [{"id": 1, "hash": last[1] if last else "", "last_id": last[0] if last else None,
                            "sealed": int(count)}])


def downgrade() -> None:
    op.drop_table("audit_chain")
