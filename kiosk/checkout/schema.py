"""The persisted checkout (DESIGN §1, §11): one row per swipe, and an append-only step log.

A checkout row holds what the steps decided, so that any process can resume it after a crash:
the card read, the decision, the fixed amounts and the consent document, the consent signature,
the journal id, and the BPJS payment order exactly as it is (or was) sent.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.checkout.states import State
from kiosk.models import Base, utcnow
from ledger.storage import UTCDateTime

_STATES = [s.value for s in State]


class CheckoutRow(Base):
    __tablename__ = "checkouts"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    kiosk_code: Mapped[str] = mapped_column(sa.String(32))
    operator: Mapped[str] = mapped_column(sa.String(64))
    idempotency_key: Mapped[str] = mapped_column(sa.String(128))
    state: Mapped[State] = mapped_column(sa.Enum(State, native_enum=False, length=16, values_callable=lambda e: _STATES))
    version: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # who is driving it now (a web thread or the worker); a lapsed lease may be taken over
    runner: Mapped[str | None] = mapped_column(sa.String(96), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    # card and farmer (never a NIK: the farmer is a pseudonym)
    card_number: Mapped[str | None] = mapped_column(sa.String(19), nullable=True)
    farmer: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    card: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    decision: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    # the operator's selection fixes the amounts; `document` is the canonical consent document
    confirm_key: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    selection: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    tender: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    fertilizer_total: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    contribution: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    agent_fee: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    document: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    challenge: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    pin_operation: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    consent: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    # the ledger journal and the BPJS side
    journal_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True, unique=True)
    kpj: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    paid_through_before: Mapped[str | None] = mapped_column(sa.String(7), nullable=True)
    payment_order: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    bpjs_reference: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    paid_through_after: Mapped[str | None] = mapped_column(sa.String(7), nullable=True)
    # why it failed or was aborted: a code and the messages shown to the operator
    error_code: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    error_id: Mapped[str | None] = mapped_column(sa.String(400), nullable=True)
    error_en: Mapped[str | None] = mapped_column(sa.String(400), nullable=True)

    __table_args__ = (
        sa.UniqueConstraint("kiosk_code", "idempotency_key", name="uq_checkouts_kiosk_key"),
        sa.Index("ix_checkouts_state_next", "state", "next_attempt_at"),
        sa.CheckConstraint("fertilizer_total >= 0 AND contribution >= 0 AND agent_fee >= 0", name="amounts"),
        sa.CheckConstraint("tender IS NULL OR tender IN ('card', 'cash')", name="tender"),
    )


class CheckoutStep(Base):
    """Append-only: every step, recorded before it is acted on (intent) and when it is done."""

    __tablename__ = "checkout_steps"

    checkout_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("checkouts.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    event: Mapped[str] = mapped_column(sa.String(32))
    state_after: Mapped[State] = mapped_column(sa.Enum(State, native_enum=False, length=16, values_callable=lambda e: _STATES))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(sa.String(96))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class BpjsStatusCache(Base):
    """The newest participant-inquiry answer per farmer: a young enough copy still counts when
    BPJS is unreachable (DESIGN §9). Keyed by pseudonym; holds no NIK."""

    __tablename__ = "bpjs_status_cache"

    farmer: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    answer: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
