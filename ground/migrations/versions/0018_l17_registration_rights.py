"""registration: an objection's attachment, a recruitment's retention date, a person's erasure request (issue 17)

Revision ID: 0018_l17_registration_rights
Revises: 0017_registration_second_check
Create Date: 2026-12-01 02:20:00
"""

import sqlalchemy as sa
from alembic import op

import ground.db

revision = "0018_l17_registration_rights"
down_revision = "0017_registration_second_check"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reg_objections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachment_sha256", sa.String(64), nullable=True))
    with op.batch_alter_table("reg_recruitments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retain_until", ground.db.UTCDateTime(), nullable=True))
    with op.batch_alter_table("reg_people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erasure_requested_at", ground.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("erased_at", ground.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reg_people", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.drop_column("erasure_requested_at")
    with op.batch_alter_table("reg_recruitments", schema=None) as batch_op:
        batch_op.drop_column("retain_until")
    with op.batch_alter_table("reg_objections", schema=None) as batch_op:
        batch_op.drop_column("attachment_sha256")
