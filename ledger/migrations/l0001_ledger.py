"""ledger: accounts, journals, legs, sink deltas, audit entries; append-only triggers

Revision ID: l0001
Revises:
Create Date: 2026-12-04

The triggers are the database's half of "history is append-only" (DESIGN §4): journal, leg and
entry rows are never updated or deleted, except that a pending journal may move once to posted or
voided (its state, finalized_at and reason columns); account rows are never deleted and their
identity (key, kind, asset, limit, owner) never changes; a closed account stays closed.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.storage import UTCDateTime

revision = "l0001"
down_revision = None
branch_labels = ("ledger",)
depends_on = None

LIMITS = "('none', 'debits_must_not_exceed_credits', 'credits_must_not_exceed_debits')"
KINDS = ("('redemption', 'contribution', 'topup', 'quota_allocation', 'stock_receipt', 'deposit', "
         "'reversal', 'adjustment')")
JOURNAL_FIXED = ("id", "idempotency_key", "body_sha256", "kind", "kiosk", "farmer", "remote_ref", "memo",
                 "created_at", "expires_at")
ACCOUNT_FIXED = ("id", "key", "kind", "asset", "limit_flag", "owner", "created_at")
# The accounts guard fires only for statements that target these columns: the counter updates of
# every journal never do, so they pay nothing for it.
ACCOUNT_GUARDED = (*ACCOUNT_FIXED, "closed_at")
APPEND_ONLY = ("ledger_legs", "ledger_entries")


def _counters() -> list[sa.Column[int]]:
    return [sa.Column(n, sa.BigInteger(), nullable=False)
            for n in ("debits_posted", "credits_posted", "debits_pending", "credits_pending")]


def _accounts() -> None:
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("asset", sa.String(40), nullable=False),
        sa.Column("limit_flag", sa.String(40), nullable=False),
        sa.Column("owner", sa.String(128), nullable=True),
        *_counters(),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_accounts"),
        sa.UniqueConstraint("key", name="uq_ledger_accounts_key"),
        sa.UniqueConstraint("id", "asset", name="uq_ledger_accounts_id_asset"),
        sa.CheckConstraint(f"limit_flag IN {LIMITS}", name="ck_ledger_accounts_limit_flag"),
        sa.CheckConstraint("debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0 AND credits_pending >= 0",
                           name="ck_ledger_accounts_counters_not_negative"),
        sa.CheckConstraint("limit_flag <> 'debits_must_not_exceed_credits' OR debits_posted + debits_pending <= credits_posted",
                           name="ck_ledger_accounts_debits_within_credits"),
        sa.CheckConstraint("limit_flag <> 'credits_must_not_exceed_debits' OR credits_posted + credits_pending <= debits_posted",
                           name="ck_ledger_accounts_credits_within_debits"),
    )


def _journals() -> None:
    op.create_table(
        "ledger_journals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("kiosk", sa.String(64), nullable=True),
        sa.Column("farmer", sa.String(64), nullable=True),
        sa.Column("remote_ref", sa.String(128), nullable=True),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("finalized_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_journals"),
        sa.UniqueConstraint("idempotency_key", name="uq_ledger_journals_idempotency_key"),
        sa.CheckConstraint("state IN ('pending', 'posted', 'voided')", name="ck_ledger_journals_state"),
        sa.CheckConstraint(f"kind IN {KINDS}", name="ck_ledger_journals_kind"),
        sa.CheckConstraint("(state = 'pending') = (finalized_at IS NULL)", name="ck_ledger_journals_final_has_time"),
        sa.CheckConstraint("remote_ref IS NULL OR expires_at IS NULL", name="ck_ledger_journals_remote_never_expires"),
    )
    # Partial indexes: a journal posted at once (the common case) enters neither.
    for name, column, where in (
        ("ix_ledger_journals_pending_expiry", "expires_at", "state = 'pending' AND expires_at IS NOT NULL"),
        ("ix_ledger_journals_pending", "created_at", "state = 'pending'"),
        ("ix_ledger_journals_remote_ref", "remote_ref", "remote_ref IS NOT NULL"),
    ):
        op.create_index(name, "ledger_journals", [column], postgresql_where=sa.text(where), sqlite_where=sa.text(where))


def _legs() -> None:
    op.create_table(
        "ledger_legs",
        sa.Column("journal_id", sa.Uuid(), nullable=False),
        sa.Column("idx", sa.SmallInteger(), nullable=False),
        sa.Column("debit_account_id", sa.Uuid(), nullable=False),
        sa.Column("credit_account_id", sa.Uuid(), nullable=False),
        sa.Column("asset", sa.String(40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("journal_id", "idx", name="pk_ledger_legs"),
        sa.ForeignKeyConstraint(["journal_id"], ["ledger_journals.id"], name="fk_ledger_legs_journal"),
        sa.ForeignKeyConstraint(["debit_account_id", "asset"], ["ledger_accounts.id", "ledger_accounts.asset"],
                                name="fk_ledger_legs_debit"),
        sa.ForeignKeyConstraint(["credit_account_id", "asset"], ["ledger_accounts.id", "ledger_accounts.asset"],
                                name="fk_ledger_legs_credit"),
        sa.CheckConstraint("amount > 0", name="ck_ledger_legs_amount_positive"),
        sa.CheckConstraint("idx >= 0", name="ck_ledger_legs_idx_not_negative"),
        sa.CheckConstraint("debit_account_id <> credit_account_id", name="ck_ledger_legs_two_accounts"),
    )
    op.create_index("ix_ledger_legs_debit", "ledger_legs", ["debit_account_id", "journal_id"])
    op.create_index("ix_ledger_legs_credit", "ledger_legs", ["credit_account_id", "journal_id"])


def _deltas_and_entries() -> None:
    op.create_table(
        "ledger_sink_deltas",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("journal_id", sa.Uuid(), nullable=False),
        sa.Column("phase", sa.SmallInteger(), nullable=False),
        *_counters(),
        sa.PrimaryKeyConstraint("account_id", "journal_id", "phase", name="pk_ledger_sink_deltas"),
        sa.CheckConstraint("phase IN (0, 1)", name="ck_ledger_sink_deltas_phase"),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("journal_id", sa.Uuid(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_entries"),
        sa.ForeignKeyConstraint(["journal_id"], ["ledger_journals.id"], name="fk_ledger_entries_journal"),
        sa.CheckConstraint("length(body) > 0", name="ck_ledger_entries_body_not_empty"),
    )
    op.create_index("ix_ledger_entries_journal_id", "ledger_entries", ["journal_id"])


def _same(columns: tuple[str, ...]) -> str:
    return " AND ".join(f"NEW.{c} IS OLD.{c}" for c in columns)


def _sqlite_triggers() -> None:
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END")
    op.execute("CREATE TRIGGER ledger_journals_no_delete BEFORE DELETE ON ledger_journals "
               "BEGIN SELECT RAISE(ABORT, 'ledger_journals is append-only: DELETE refused'); END")
    op.execute("CREATE TRIGGER ledger_journals_guard_update BEFORE UPDATE ON ledger_journals "
               f"WHEN NOT (OLD.state = 'pending' AND NEW.state IN ('posted', 'voided') AND {_same(JOURNAL_FIXED)}) "
               "BEGIN SELECT RAISE(ABORT, 'ledger_journals: only a pending journal may move to posted or voided'); END")
    op.execute("CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts "
               "BEGIN SELECT RAISE(ABORT, 'ledger_accounts: DELETE refused'); END")
    op.execute(f"CREATE TRIGGER ledger_accounts_guard_update BEFORE UPDATE OF {', '.join(ACCOUNT_GUARDED)} ON ledger_accounts "
               f"WHEN NOT ({_same(ACCOUNT_FIXED)} AND (OLD.closed_at IS NULL OR NEW.closed_at IS OLD.closed_at)) "
               "BEGIN SELECT RAISE(ABORT, 'ledger_accounts: identity columns are fixed and a closed account stays closed'); END")


def _row(prefix: str, columns: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"{prefix}.{c}" for c in columns) + ")"


PG_FUNCTIONS = {
    "ledger_refuse_change": """
        BEGIN
          RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
        END""",
    "ledger_journals_guard": f"""
        BEGIN
          IF TG_OP = 'UPDATE' AND OLD.state = 'pending' AND NEW.state IN ('posted', 'voided')
             AND {_row('NEW', JOURNAL_FIXED)} IS NOT DISTINCT FROM {_row('OLD', JOURNAL_FIXED)} THEN
            RETURN NEW;
          END IF;
          RAISE EXCEPTION 'ledger_journals: only a pending journal may move to posted or voided (% refused)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
        END""",
    "ledger_accounts_guard": f"""
        BEGIN
          IF TG_OP = 'UPDATE' AND {_row('NEW', ACCOUNT_FIXED)} IS NOT DISTINCT FROM {_row('OLD', ACCOUNT_FIXED)}
             AND (OLD.closed_at IS NULL OR NEW.closed_at IS NOT DISTINCT FROM OLD.closed_at) THEN
            RETURN NEW;
          END IF;
          RAISE EXCEPTION 'ledger_accounts: identity columns are fixed, a closed account stays closed (% refused)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
        END""",
}


def _pg_triggers() -> None:
    for name, body in PG_FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn${body}\n$fn$")
    for table in APPEND_ONLY:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()")
    op.execute("CREATE TRIGGER ledger_journals_guard BEFORE UPDATE OR DELETE ON ledger_journals "
               "FOR EACH ROW EXECUTE FUNCTION ledger_journals_guard()")
    op.execute(f"CREATE TRIGGER ledger_accounts_guard BEFORE UPDATE OF {', '.join(ACCOUNT_GUARDED)} OR DELETE "
               "ON ledger_accounts FOR EACH ROW EXECUTE FUNCTION ledger_accounts_guard()")
    for table in (*APPEND_ONLY, "ledger_journals", "ledger_accounts"):
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()")


def upgrade() -> None:
    _accounts()
    _journals()
    _legs()
    _deltas_and_entries()
    if op.get_bind().dialect.name == "postgresql":
        _pg_triggers()
    else:
        _sqlite_triggers()


def downgrade() -> None:
    # Dropping a table drops its triggers; the PostgreSQL functions go afterwards.
    for table in ("ledger_entries", "ledger_sink_deltas", "ledger_legs", "ledger_journals", "ledger_accounts"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        for name in PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")
