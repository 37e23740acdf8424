"""candidate: answers.option_ids, the set of options chosen on a multiple-response question (NULL: none, or single)

Revision ID: 0013_candidate_answer_sets
Revises: 0007_candidate_flag_seq
Create Date: 2026-12-02 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_candidate_answer_sets"
down_revision = "0007_candidate_flag_seq"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("option_ids", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_column("option_ids")
