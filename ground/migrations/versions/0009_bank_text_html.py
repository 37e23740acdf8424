"""bank: item_versions.text_html (sanitized HTML of the stem: tables, MathML) kept per version

Revision ID: 0009_bank_text_html
Revises: 0008_bank_score_bounds
Create Date: 2026-11-30 19:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_bank_text_html"
down_revision = "0008_bank_score_bounds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_html", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("item_versions", schema=None) as batch_op:
        batch_op.drop_column("text_html")
