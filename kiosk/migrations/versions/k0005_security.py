"""security: failed logins and login lockouts (kiosk/auth/schema.py, docs/security.md)

Revision ID: k0005
Revises: k0004
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.storage import UTCDateTime

revision = "k0005"
down_revision = "k0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username_key", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_username_key_at", "login_failures", ["username_key", "at"])
    op.create_index("ix_login_failures_address_at", "login_failures", ["address", "at"])
    op.create_table(
        "login_lockouts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_at", UTCDateTime(), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.Column("released_by", sa.String(64), nullable=True),
        sa.CheckConstraint("scope IN ('user', 'address')", name=op.f("ck_login_lockouts_scope")),
        sa.CheckConstraint("until > locked_at", name=op.f("ck_login_lockouts_until_after_locked")),
        sa.CheckConstraint("failures > 0", name=op.f("ck_login_lockouts_failures_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_lockouts")),
    )
    op.create_index("ix_login_lockouts_scope_subject_until", "login_lockouts", ["scope", "subject", "until"])


def downgrade() -> None:
    op.drop_index("ix_login_lockouts_scope_subject_until", table_name="login_lockouts")
    op.drop_table("login_lockouts")
    op.drop_index("ix_login_failures_address_at", table_name="login_failures")
    op.drop_index("ix_login_failures_username_key_at", table_name="login_failures")
    op.drop_table("login_failures")
