"""registration: reg_checks.confirmed_by/confirmed_at, a second verifier's confirmation of a mark (issue 17)

Revision ID: 0017_registration_second_check
Revises: 0016_registration_cards
Create Date: 2026-11-30 23:50:00
"""

import sqlalchemy as sa
from alembic import op

import ground.db

revision = "0017_registration_second_check"
down_revision = "0016_registration_cards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reg_checks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_by", sa.String(128), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", ground.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reg_checks", schema=None) as batch_op:
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("confirmed_by")
