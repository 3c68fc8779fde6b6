"""money: receipt prints, bank imports, sale reversals, BPJS reconciliation, end-of-day reports

Revision ID: k0004
Revises: k0003
Create Date: 2026-12-04

``end_of_day_reports``, ``bank_imports``, ``bpjs_reconciliations`` and their lines are records:
triggers refuse UPDATE and DELETE of them (SQLite ``RAISE(ABORT)``, PostgreSQL SQLSTATE 23000, so
both surface as ``IntegrityError``), as the ledger's history tables do.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.storage import UTCDateTime

revision = "k0004"
down_revision = "k0003"
branch_labels = None
depends_on = None

APPEND_ONLY = ("end_of_day_reports", "bank_imports", "bpjs_reconciliations", "bpjs_reconciliation_lines")
PG_FUNCTION = "kiosk_money_refuse_change"


def _receipts_and_imports() -> None:
    op.create_table(
        "receipt_prints",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("kiosk_code", sa.String(32), nullable=False),
        sa.Column("journal_id", sa.Uuid(), nullable=False),
        sa.Column("checkout_id", sa.Uuid(), nullable=True),
        sa.Column("farmer", sa.String(64), nullable=True),
        sa.Column("copy_of", sa.String(128), nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("reason_code", sa.String(64), nullable=True),
        sa.Column("message_id", sa.String(400), nullable=False),
        sa.Column("message_en", sa.String(400), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("printed_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("state IN ('printed', 'queued', 'unsent', 'failed')", name=op.f("ck_receipt_prints_state")),
        sa.CheckConstraint("kind IN ('sale', 'contribution', 'topup', 'reversal', 'end_of_day')",
                           name=op.f("ck_receipt_prints_kind")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_receipt_prints")),
    )
    op.create_index("ix_receipt_prints_journal", "receipt_prints", ["journal_id"])
    op.create_index("ix_receipt_prints_state", "receipt_prints", ["state", "updated_at"])
    op.create_table(
        "bank_imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("new_rows", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("total_new", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(96), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_imports")),
        sa.UniqueConstraint("sha256", name=op.f("uq_bank_imports_sha256")),
    )


def _reversals() -> None:
    op.create_table(
        "sale_reversals",
        sa.Column("original_journal_id", sa.Uuid(), nullable=False),
        sa.Column("reversal_journal_id", sa.Uuid(), nullable=False),
        sa.Column("checkout_id", sa.Uuid(), nullable=False),
        sa.Column("kiosk_code", sa.String(32), nullable=False),
        sa.Column("supervisor", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("request_key", sa.String(128), nullable=False),
        sa.Column("tender", sa.String(8), nullable=False),
        sa.Column("refund", sa.BigInteger(), nullable=False),
        sa.Column("contribution_kept", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("refund > 0 AND contribution_kept >= 0", name=op.f("ck_sale_reversals_amounts")),
        sa.ForeignKeyConstraint(["checkout_id"], ["checkouts.id"], name=op.f("fk_sale_reversals_checkout_id_checkouts")),
        sa.PrimaryKeyConstraint("original_journal_id", name=op.f("pk_sale_reversals")),
        sa.UniqueConstraint("checkout_id", name=op.f("uq_sale_reversals_checkout_id")),
        sa.UniqueConstraint("reversal_journal_id", name=op.f("uq_sale_reversals_reversal_journal_id")),
    )


def _reconciliation() -> None:
    op.create_table(
        "bpjs_reconciliations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("run_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(96), nullable=False),
        sa.Column("host_count", sa.Integer(), nullable=False),
        sa.Column("host_total", sa.BigInteger(), nullable=False),
        sa.Column("ledger_count", sa.Integer(), nullable=False),
        sa.Column("ledger_total", sa.BigInteger(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False)
          for name in ("matched", "amount_mismatch", "missing_in_ledger", "missing_at_host")),
        sa.Column("host_deposit_balance", sa.BigInteger(), nullable=False),
        sa.Column("ledger_deposit_balance", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bpjs_reconciliations")),
    )
    op.create_index("ix_bpjs_reconciliations_day", "bpjs_reconciliations", ["day", "run_at"])
    op.create_table(
        "bpjs_reconciliation_lines",
        sa.Column("reconciliation_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("journal_id", sa.Uuid(), nullable=True),
        sa.Column("ledger_state", sa.String(8), nullable=True),
        sa.Column("kiosk_code", sa.String(32), nullable=True),
        sa.Column("kpj", sa.String(32), nullable=True),
        sa.Column("bpjs_reference", sa.String(64), nullable=True),
        sa.Column("host_amount", sa.BigInteger(), nullable=True),
        sa.Column("ledger_amount", sa.BigInteger(), nullable=True),
        sa.Column("paid_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('matched', 'amount_mismatch', 'missing_in_ledger', 'missing_at_host')",
                           name=op.f("ck_bpjs_reconciliation_lines_status")),
        sa.ForeignKeyConstraint(["reconciliation_id"], ["bpjs_reconciliations.id"],
                                name=op.f("fk_bpjs_reconciliation_lines_reconciliation_id_bpjs_reconciliations")),
        sa.PrimaryKeyConstraint("reconciliation_id", "seq", name=op.f("pk_bpjs_reconciliation_lines")),
    )
    op.create_table(
        "reconciliation_exceptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("journal_id", sa.Uuid(), nullable=True),
        sa.Column("kiosk_code", sa.String(32), nullable=True),
        sa.Column("bpjs_reference", sa.String(64), nullable=True),
        sa.Column("host_amount", sa.BigInteger(), nullable=True),
        sa.Column("ledger_amount", sa.BigInteger(), nullable=True),
        sa.Column("reconciliation_id", sa.Uuid(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.Column("resolution", sa.String(500), nullable=True),
        sa.CheckConstraint("kind IN ('amount_mismatch', 'missing_in_ledger', 'missing_at_host')",
                           name=op.f("ck_reconciliation_exceptions_kind")),
        sa.CheckConstraint("(resolved_at IS NULL) = (resolution IS NULL)",
                           name=op.f("ck_reconciliation_exceptions_resolved_has_reason")),
        sa.ForeignKeyConstraint(["reconciliation_id"], ["bpjs_reconciliations.id"],
                                name=op.f("fk_reconciliation_exceptions_reconciliation_id_bpjs_reconciliations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_exceptions")),
        sa.UniqueConstraint("request_id", "kind", name="uq_reconciliation_exceptions_request_kind"),
    )
    op.create_index("ix_reconciliation_exceptions_open", "reconciliation_exceptions", ["resolved_at", "opened_at"])


def _end_of_day() -> None:
    op.create_table(
        "end_of_day_reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kiosk_code", sa.String(32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("generated_at", UTCDateTime(), nullable=False),
        sa.Column("generated_by", sa.String(96), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_end_of_day_reports")),
    )
    op.create_index("ix_end_of_day_reports_kiosk_day", "end_of_day_reports", ["kiosk_code", "day", "generated_at"])


def _triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN "
                   "RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP "
                   "USING ERRCODE = 'integrity_constraint_violation'; END $fn$")
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()")
        return
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END")


def upgrade() -> None:
    _receipts_and_imports()
    _reversals()
    _reconciliation()
    _end_of_day()
    _triggers()


def downgrade() -> None:
    op.drop_index("ix_end_of_day_reports_kiosk_day", table_name="end_of_day_reports")
    op.drop_table("end_of_day_reports")
    op.drop_index("ix_reconciliation_exceptions_open", table_name="reconciliation_exceptions")
    op.drop_table("reconciliation_exceptions")
    op.drop_table("bpjs_reconciliation_lines")
    op.drop_index("ix_bpjs_reconciliations_day", table_name="bpjs_reconciliations")
    op.drop_table("bpjs_reconciliations")
    op.drop_table("sale_reversals")
    op.drop_table("bank_imports")
    op.drop_index("ix_receipt_prints_state", table_name="receipt_prints")
    op.drop_index("ix_receipt_prints_journal", table_name="receipt_prints")
    op.drop_table("receipt_prints")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {PG_FUNCTION}()")
