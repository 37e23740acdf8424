"""registration: reg_applications.card_sealed, the exam card's participant number and PIN sealed with the people key so
the applicant downloads the card from the portal (issue 17)

Revision ID: 0016_registration_cards
Revises: 0014_registration_objections
Create Date: 2026-11-30 23:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_registration_cards"
down_revision = "0014_registration_objections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reg_applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_sealed", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reg_applications", schema=None) as batch_op:
        batch_op.drop_column("card_sealed")
