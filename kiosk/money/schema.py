"""The money side's tables (issue 9; migration ``k0004``), on ``kiosk.models.Base``.

* ``receipt_prints``: every receipt handed to the device agent, under its print key, and what the
  agent answered (printed, queued, not sent, refused). The body is kept **without** the farmer's
  name and masked NIK (only the pseudonym): they are filled in from the registry when sent, so
  erasing a farmer erases them here too.
* ``bank_imports``: one row per imported bank settlement file, by SHA-256 (a replay is a no-op).
* ``sale_reversals``: at most one reversal per sale (the original journal is the key).
* ``bpjs_reconciliations`` + ``bpjs_reconciliation_lines``: each run against BPJS's settlement list.
* ``reconciliation_exceptions``: a difference, open until a supervisor resolves it with a reason.
* ``end_of_day_reports``: the kept end-of-day reports (append-only; triggers in the migration).

Money is integer rupiah (BIGINT); times are UTC (``UTCDateTime``); no NIK anywhere.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.models import Base
from ledger.storage import UTCDateTime

PRINT_STATES = ("printed", "queued", "unsent", "failed")
RECEIPT_KINDS = ("sale", "contribution", "topup", "reversal", "end_of_day")
LINE_STATUSES = ("matched", "amount_mismatch", "missing_in_ledger", "missing_at_host")
EXCEPTION_KINDS = ("amount_mismatch", "missing_in_ledger", "missing_at_host")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ReceiptPrint(Base):
    __tablename__ = "receipt_prints"

    key: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    kiosk_code: Mapped[str] = mapped_column(sa.String(32))
    journal_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    checkout_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
    farmer: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    copy_of: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    body: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    state: Mapped[str] = mapped_column(sa.String(8))
    reason_code: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    message_id: Mapped[str] = mapped_column(sa.String(400))
    message_en: Mapped[str] = mapped_column(sa.String(400))
    attempts: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        sa.CheckConstraint(_in("state", PRINT_STATES), name="state"),
        sa.CheckConstraint(_in("kind", RECEIPT_KINDS), name="kind"),
        sa.Index("ix_receipt_prints_journal", "journal_id"),
        sa.Index("ix_receipt_prints_state", "state", "updated_at"),
    )


class BankImport(Base):
    __tablename__ = "bank_imports"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    rows: Mapped[int] = mapped_column(sa.Integer)
    new_rows: Mapped[int] = mapped_column(sa.Integer)
    total: Mapped[int] = mapped_column(sa.BigInteger)
    total_new: Mapped[int] = mapped_column(sa.BigInteger)
    actor: Mapped[str] = mapped_column(sa.String(96))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    report: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class SaleReversal(Base):
    __tablename__ = "sale_reversals"

    original_journal_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    reversal_journal_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True)
    checkout_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("checkouts.id"), unique=True)
    kiosk_code: Mapped[str] = mapped_column(sa.String(32))
    supervisor: Mapped[str] = mapped_column(sa.String(64))
    reason: Mapped[str] = mapped_column(sa.String(200))
    request_key: Mapped[str] = mapped_column(sa.String(128))
    tender: Mapped[str] = mapped_column(sa.String(8))
    refund: Mapped[int] = mapped_column(sa.BigInteger)
    contribution_kept: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (sa.CheckConstraint("refund > 0 AND contribution_kept >= 0", name="amounts"),)


class Reconciliation(Base):
    __tablename__ = "bpjs_reconciliations"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(sa.String(96))
    host_count: Mapped[int] = mapped_column(sa.Integer)
    host_total: Mapped[int] = mapped_column(sa.BigInteger)
    ledger_count: Mapped[int] = mapped_column(sa.Integer)
    ledger_total: Mapped[int] = mapped_column(sa.BigInteger)
    matched: Mapped[int] = mapped_column(sa.Integer)
    amount_mismatch: Mapped[int] = mapped_column(sa.Integer)
    missing_in_ledger: Mapped[int] = mapped_column(sa.Integer)
    missing_at_host: Mapped[int] = mapped_column(sa.Integer)
    host_deposit_balance: Mapped[int] = mapped_column(sa.BigInteger)
    ledger_deposit_balance: Mapped[int] = mapped_column(sa.BigInteger)

    __table_args__ = (sa.Index("ix_bpjs_reconciliations_day", "day", "run_at"),)


class ReconciliationLine(Base):
    __tablename__ = "bpjs_reconciliation_lines"

    reconciliation_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("bpjs_reconciliations.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(24))
    request_id: Mapped[str] = mapped_column(sa.String(128))
    journal_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
    ledger_state: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    kiosk_code: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    kpj: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    bpjs_reference: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    host_amount: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    ledger_amount: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (sa.CheckConstraint(_in("status", LINE_STATUSES), name="status"),)


class ReconciliationException(Base):
    __tablename__ = "reconciliation_exceptions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date)
    kind: Mapped[str] = mapped_column(sa.String(24))
    request_id: Mapped[str] = mapped_column(sa.String(128))
    journal_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, nullable=True)
    kiosk_code: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    bpjs_reference: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    host_amount: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    ledger_amount: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    reconciliation_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, sa.ForeignKey("bpjs_reconciliations.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    resolution: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)

    __table_args__ = (
        sa.UniqueConstraint("request_id", "kind", name="uq_reconciliation_exceptions_request_kind"),
        sa.CheckConstraint(_in("kind", EXCEPTION_KINDS), name="kind"),
        sa.CheckConstraint("(resolved_at IS NULL) = (resolution IS NULL)", name="resolved_has_reason"),
        sa.Index("ix_reconciliation_exceptions_open", "resolved_at", "opened_at"),
    )


class EndOfDayReport(Base):
    """Append-only (triggers refuse UPDATE and DELETE): a day closed again is a new row."""

    __tablename__ = "end_of_day_reports"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    kiosk_code: Mapped[str] = mapped_column(sa.String(32))
    day: Mapped[date] = mapped_column(sa.Date)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    generated_by: Mapped[str] = mapped_column(sa.String(96))
    body: Mapped[str] = mapped_column(sa.Text)
    body_sha256: Mapped[str] = mapped_column(sa.String(64))
    entry_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)

    __table_args__ = (sa.Index("ix_end_of_day_reports_kiosk_day", "kiosk_code", "day", "generated_at"),)
