"""bank: encryption at rest (issue 11): bank_keys (the wrapped bank data key), item_versions.sealed, options.sealed,
options.points nullable (None once sealed)

Revision ID: 0011_bank_sealed
Revises: 0009_bank_text_html
Create Date: 2026-11-30 19:55:00

Rows written before stay readable as they are; ``exam-engine bank encrypt`` seals them (the master key lives in the
data folder, which a migration does not see).
"""

import sqlalchemy as sa
from alembic import op

import ground.db

revision = "0011_bank_sealed"
down_revision = "0009_bank_text_html"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bank_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", ground.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("options", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=True))
        batch_op.alter_column("points", existing_type=sa.Float(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("options", schema=None) as batch_op:
        batch_op.alter_column("points", existing_type=sa.Float(), nullable=False)
        batch_op.drop_column("sealed")
    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.drop_column("sealed")
    op.drop_table("bank_keys")
