"""bank: images table (item and option pictures stored in the bank by SHA-256)

Revision ID: 0003_bank
Revises: 0001_core
Create Date: 2026-11-27 18:10:00
"""

import sqlalchemy as sa
from alembic import op

import ground.db

revision = "0003_bank"
down_revision = "0001_core"
branch_labels = ("bank",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bank_images",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("mime", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", ground.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )


def downgrade() -> None:
    op.drop_table("bank_images")
