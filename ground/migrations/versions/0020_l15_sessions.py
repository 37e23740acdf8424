"""exam sessions (*sesi*: a start at a site in its zone, scheduled/open/closed), rooms.session_id, candidates' photo

Revision ID: 0020_l15_sessions
Revises: 0015_room_zone
Create Date: 2026-12-01 02:10:00
"""

import sqlalchemy as sa
from alembic import op

import ground.db

revision = "0020_l15_sessions"
down_revision = "0015_room_zone"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exam_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("site", sa.String(length=255), nullable=False),
        sa.Column("zone", sa.String(length=4), nullable=False),
        sa.Column("starts_at", ground.db.UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("opened_at", ground.db.UTCDateTime(), nullable=True),
        sa.Column("opened_by", sa.String(length=128), nullable=True),
        sa.Column("closed_at", ground.db.UTCDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(["exam_id"], ["exams.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("exam_id", "code", name="uq_exam_session_code"),
    )
    op.create_index("ix_exam_sessions_exam_id", "exam_sessions", ["exam_id"])
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_rooms_session_id", ["session_id"])
        batch_op.create_foreign_key("fk_rooms_session_id", "exam_sessions", ["session_id"], ["id"],
                                    ondelete="SET NULL")
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("photo_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_column("photo_sha256")
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_constraint("fk_rooms_session_id", type_="foreignkey")
        batch_op.drop_index("ix_rooms_session_id")
        batch_op.drop_column("session_id")
    op.drop_index("ix_exam_sessions_exam_id", table_name="exam_sessions")
    op.drop_table("exam_sessions")
