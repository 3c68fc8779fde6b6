"""farmers listed per season and their quota accounts (RDKK import, issue 6 part B)

Revision ID: f0002
Revises: f0001
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.storage import UTCDateTime

revision = "f0002"
down_revision = "f0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "farmer_seasons",
        sa.Column("pseudonym", sa.String(16), nullable=False),
        sa.Column("season", sa.String(8), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("revision >= 0", name=op.f("ck_farmer_seasons_revision_not_negative")),
        sa.ForeignKeyConstraint(["pseudonym"], ["farmers.pseudonym"], name=op.f("fk_farmer_seasons_pseudonym_farmers")),
        sa.PrimaryKeyConstraint("pseudonym", "season", name=op.f("pk_farmer_seasons")),
    )
    op.create_table(
        "farmer_quotas",
        sa.Column("pseudonym", sa.String(16), nullable=False),
        sa.Column("season", sa.String(8), nullable=False),
        sa.Column("product", sa.String(16), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("allocated_kg", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("allocated_kg >= 0", name=op.f("ck_farmer_quotas_allocated_not_negative")),
        sa.ForeignKeyConstraint(["pseudonym", "season"], ["farmer_seasons.pseudonym", "farmer_seasons.season"],
                                name=op.f("fk_farmer_quotas_pseudonym_farmer_seasons")),
        sa.PrimaryKeyConstraint("pseudonym", "season", "product", name=op.f("pk_farmer_quotas")),
        sa.UniqueConstraint("account_id", name=op.f("uq_farmer_quotas_account_id")),
    )


def downgrade() -> None:
    op.drop_table("farmer_quotas")
    op.drop_table("farmer_seasons")
