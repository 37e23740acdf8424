"""reg_applications.site: the applicant's preferred test site (the exam planning seats them in a session there)

Revision ID: 0021_l15_application_site
Revises: 0017_registration_second_check
Create Date: 2026-12-01 02:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_l15_application_site"
down_revision = "0017_registration_second_check"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reg_applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("site", sa.String(length=255), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("reg_applications", schema=None) as batch_op:
        batch_op.drop_column("site")
