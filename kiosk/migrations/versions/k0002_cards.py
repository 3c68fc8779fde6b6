"""cards: highest ATC per card, hotlist

Revision ID: k0002
Revises: k0001
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.storage import UTCDateTime

revision = "k0002"
down_revision = "k0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "card_atc",
        sa.Column("card_number", sa.String(19), nullable=False),
        sa.Column("atc", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("atc >= 0 AND atc <= 65535", name=op.f("ck_card_atc_atc_range")),
        sa.PrimaryKeyConstraint("card_number", name=op.f("pk_card_atc")),
    )
    op.create_table(
        "card_hotlist",
        sa.Column("card_number", sa.String(19), nullable=False),
        sa.Column("reason", sa.Enum("lost", "stolen", "replaced", name="hotlistreason", native_enum=False, length=16),
                  nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("listed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("card_number", name=op.f("pk_card_hotlist")),
    )


def downgrade() -> None:
    op.drop_table("card_hotlist")
    op.drop_table("card_atc")
