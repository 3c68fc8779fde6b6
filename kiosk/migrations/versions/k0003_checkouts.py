"""checkouts, their step log, and the BPJS status cache

Revision ID: k0003
Revises: k0002
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.storage import UTCDateTime

revision = "k0003"
down_revision = "k0002"
branch_labels = None
depends_on = None

STATES = ("created", "identified", "decided", "selected", "awaiting_pin", "consented", "pending", "registering",
          "paying", "unresolved", "booked", "refused", "exception", "completed", "failed", "aborted")


def _state() -> sa.Enum:
    return sa.Enum(*STATES, name="state", native_enum=False, length=16)


def upgrade() -> None:
    op.create_table(
        "checkouts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kiosk_code", sa.String(32), nullable=False),
        sa.Column("operator", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("state", _state(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("runner", sa.String(96), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("card_number", sa.String(19), nullable=True),
        sa.Column("farmer", sa.String(64), nullable=True),
        sa.Column("card", sa.JSON(), nullable=True),
        sa.Column("decision", sa.JSON(), nullable=True),
        sa.Column("confirm_key", sa.String(128), nullable=True),
        sa.Column("selection", sa.JSON(), nullable=True),
        sa.Column("tender", sa.String(8), nullable=True),
        sa.Column("fertilizer_total", sa.BigInteger(), nullable=False),
        sa.Column("contribution", sa.BigInteger(), nullable=False),
        sa.Column("agent_fee", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=True),
        sa.Column("challenge", sa.String(32), nullable=True),
        sa.Column("pin_operation", sa.String(64), nullable=True),
        sa.Column("consent", sa.JSON(), nullable=True),
        sa.Column("journal_id", sa.Uuid(), nullable=True),
        sa.Column("kpj", sa.String(32), nullable=True),
        sa.Column("paid_through_before", sa.String(7), nullable=True),
        sa.Column("payment_order", sa.JSON(), nullable=True),
        sa.Column("bpjs_reference", sa.String(64), nullable=True),
        sa.Column("paid_through_after", sa.String(7), nullable=True),
        sa.Column("error_code", sa.String(64), nullable=True),
        sa.Column("error_id", sa.String(400), nullable=True),
        sa.Column("error_en", sa.String(400), nullable=True),
        sa.CheckConstraint("fertilizer_total >= 0 AND contribution >= 0 AND agent_fee >= 0", name=op.f("ck_checkouts_amounts")),
        sa.CheckConstraint("tender IS NULL OR tender IN ('card', 'cash')", name=op.f("ck_checkouts_tender")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkouts")),
        sa.UniqueConstraint("journal_id", name=op.f("uq_checkouts_journal_id")),
        sa.UniqueConstraint("kiosk_code", "idempotency_key", name="uq_checkouts_kiosk_key"),
    )
    op.create_index("ix_checkouts_state_next", "checkouts", ["state", "next_attempt_at"])
    op.create_table(
        "checkout_steps",
        sa.Column("checkout_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("state_after", _state(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(96), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["checkout_id"], ["checkouts.id"], name=op.f("fk_checkout_steps_checkout_id_checkouts")),
        sa.PrimaryKeyConstraint("checkout_id", "seq", name=op.f("pk_checkout_steps")),
    )
    op.create_table(
        "bpjs_status_cache",
        sa.Column("farmer", sa.String(64), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("observed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("farmer", name=op.f("pk_bpjs_status_cache")),
    )


def downgrade() -> None:
    op.drop_table("bpjs_status_cache")
    op.drop_table("checkout_steps")
    op.drop_index("ix_checkouts_state_next", table_name="checkouts")
    op.drop_table("checkouts")
