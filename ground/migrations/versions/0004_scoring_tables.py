"""scoring: annulments, rescore log, SKB scores, final results, orientation cohorts, onboarding records

Revision ID: 0004_scoring
Revises: 0001_core
Create Date: 2026-11-27 18:00:00
"""

import sqlalchemy as sa
from alembic import op

import ground.db

revision = "0004_scoring"
down_revision = "0001_core"
branch_labels = ("scoring",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "annulments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("item_version_id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("created_at", ground.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["exam_id"], ["exams.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_version_id"], ["item_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("exam_id", "item_version_id"),
    )
    op.create_index("ix_annulments_exam_id", "annulments", ["exam_id"])
    op.create_table(
        "rescore_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", ground.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["exam_id"], ["exams.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["result_id"], ["results.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rescore_log_exam_id", "rescore_log", ["exam_id"])
    op.create_index("ix_rescore_log_result_id", "rescore_log", ["result_id"])
    op.create_index("ix_rescore_log_candidate_id", "rescore_log", ["candidate_id"])
    op.create_table(
        "skb_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("max_score", sa.Float(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("imported_at", ground.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["exam_id"], ["exams.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidates.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("exam_id", "candidate_id"),
    )
    op.create_index("ix_skb_scores_exam_id", "skb_scores", ["exam_id"])
    op.create_index("ix_skb_scores_candidate_id", "skb_scores", ["candidate_id"])
    op.create_table(
        "final_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.Column("formation", sa.String(length=255), nullable=False),
        sa.Column("entry_path", sa.String(length=64), nullable=False),
        sa.Column("skd_scaled", sa.Float(), nullable=True),
        sa.Column("skb_scaled", sa.Float(), nullable=True),
        sa.Column("final_score", sa.Float(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("computed_at", ground.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["exam_id"], ["exams.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidates.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["result_id"], ["results.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("exam_id", "candidate_id"),
    )
    op.create_index("ix_final_results_exam_id", "final_results", ["exam_id"])
    op.create_index("ix_final_results_candidate_id", "final_results", ["candidate_id"])
    op.create_table(
        "orientation_cohorts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("created_at", ground.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "onboarding_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.Column("final_result_id", sa.Integer(), nullable=True),
        sa.Column("formation", sa.String(length=255), nullable=False),
        sa.Column("unit", sa.String(length=255), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("mentor", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("milestones", sa.JSON(), nullable=False),
        sa.Column("created_at", ground.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", ground.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["exam_id"], ["exams.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidates.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["result_id"], ["results.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["final_result_id"], ["final_results.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["cohort_id"], ["orientation_cohorts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("exam_id", "candidate_id"),
    )
    op.create_index("ix_onboarding_records_exam_id", "onboarding_records", ["exam_id"])
    op.create_index("ix_onboarding_records_candidate_id", "onboarding_records", ["candidate_id"])
    op.create_index("ix_onboarding_records_cohort_id", "onboarding_records", ["cohort_id"])


def downgrade() -> None:
    op.drop_table("onboarding_records")
    op.drop_table("orientation_cohorts")
    op.drop_table("final_results")
    op.drop_table("skb_scores")
    op.drop_table("rescore_log")
    op.drop_table("annulments")
