"""rooms.zone: the site's time zone (WIB, WITA, WIT) in which a room's session is scheduled and shown

Revision ID: 0015_room_zone
Revises: 0001_core
Create Date: 2026-11-30 23:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_room_zone"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("zone", sa.String(length=4), nullable=False, server_default="WIB"))


def downgrade() -> None:
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_column("zone")
