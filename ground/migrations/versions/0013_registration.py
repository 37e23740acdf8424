"""registration: people (sealed, found by keyed fingerprints), applicant accounts, recruitments, formations,
requirements, applications, sealed files, requirement checks (issue 17)

Revision ID: 0013_registration
Revises: 0001_core
Create Date: 2026-11-30 23:20:00
"""

import sqlalchemy as sa
from alembic import op

import ground.db

revision = "0013_registration"
down_revision = "0001_core"
branch_labels = ("registration",)
depends_on = None

T = ground.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "reg_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key_wrapped", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", T(), nullable=False),
    )
    op.create_table(
        "reg_people",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("nik_fp", sa.String(64), nullable=False, unique=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", T(), nullable=False),
        sa.Column("updated_at", T(), nullable=False),
    )
    op.create_table(
        "reg_accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("reg_people.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("login_fp", sa.String(64), nullable=False, unique=True),
        sa.Column("login_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("verified_at", T(), nullable=True),
        sa.Column("code_fp", sa.String(64), nullable=True),
        sa.Column("code_expires_at", T(), nullable=True),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.Column("created_at", T(), nullable=False),
    )
    op.create_table(
        "reg_recruitments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("opens_at", T(), nullable=False),
        sa.Column("closes_at", T(), nullable=False),
        sa.Column("created_at", T(), nullable=False),
    )
    op.create_table(
        "reg_formations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("recruitment_id", sa.Integer(), sa.ForeignKey("reg_recruitments.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("education", sa.String(255), nullable=False),
        sa.Column("entry_paths", sa.JSON(), nullable=False),
        sa.UniqueConstraint("recruitment_id", "code"),
    )
    op.create_table(
        "reg_requirements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("recruitment_id", sa.Integer(), sa.ForeignKey("reg_recruitments.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("max_bytes", sa.Integer(), nullable=False),
        sa.UniqueConstraint("recruitment_id", "code"),
    )
    op.create_table(
        "reg_applications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("recruitment_id", sa.Integer(), sa.ForeignKey("reg_recruitments.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("reg_people.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("number", sa.String(64), nullable=False, unique=True),
        sa.Column("formation_id", sa.Integer(), sa.ForeignKey("reg_formations.id"), nullable=True),
        sa.Column("entry_path", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("submitted_at", T(), nullable=True),
        sa.Column("result", sa.String(8), nullable=True),
        sa.Column("decided_at", T(), nullable=True),
        sa.Column("candidate_id", sa.Integer(), sa.ForeignKey("candidates.id"), nullable=True),
        sa.Column("created_at", T(), nullable=False),
        sa.UniqueConstraint("recruitment_id", "person_id"),
    )
    op.create_table(
        "reg_files",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("mime", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "reg_documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("application_id", sa.Integer(), sa.ForeignKey("reg_applications.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("requirement_id", sa.Integer(), sa.ForeignKey("reg_requirements.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("reg_files.sha256"), nullable=False),
        sa.Column("uploaded_at", T(), nullable=False),
        sa.UniqueConstraint("application_id", "requirement_id"),
    )
    op.create_table(
        "reg_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("application_id", sa.Integer(), sa.ForeignKey("reg_applications.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("requirement_id", sa.Integer(), sa.ForeignKey("reg_requirements.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("checked_by", sa.String(128), nullable=False),
        sa.Column("checked_at", T(), nullable=False),
        sa.UniqueConstraint("application_id", "requirement_id"),
    )


def downgrade() -> None:
    for table in ("reg_checks", "reg_documents", "reg_files", "reg_applications", "reg_requirements",
                  "reg_formations", "reg_recruitments", "reg_accounts", "reg_people", "reg_keys"):
        op.drop_table(table)
