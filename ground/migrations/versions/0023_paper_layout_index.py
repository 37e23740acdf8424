"""candidate: papers.layout_index, a plain layout's subtests and version ids as bytes (NULL: read the layout)

Revision ID: 0023_paper_layout_index
Revises: 0014_candidate_accommodations
Create Date: 2026-12-02 01:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_paper_layout_index"
down_revision = "0014_candidate_accommodations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("layout_index", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.drop_column("layout_index")
