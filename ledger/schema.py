"""The ledger's tables (Alembic branch ``ledger`` in ledger/migrations/). Adapter, not core.

Each invariant of ``ledger.rules`` is repeated here as a database backstop (django-hordak's habit):
amounts > 0 and counters >= 0 (CHECK), a limited account never past its limit (CHECK over the
four counters), leg asset == both accounts' asset (composite foreign keys onto ``(id, asset)``),
one journal per idempotency key (UNIQUE), and, in the migration, triggers that refuse UPDATE and
DELETE of history (journals, legs, entries) except a pending journal's move to its final state.

Unlimited sinks (BPJS collection, kiosk sales, agent fees) are not updated per journal: a journal
appends rows to ``ledger_sink_deltas`` instead, and ``roll_up`` folds them into the account's
counters now and then. Balance = counters + unrolled deltas, read in one statement (exact).
Delta rows are derived from legs in the same transaction (whose foreign keys already checked the
accounts), so they carry no foreign keys of their own: each would cost a lookup per row.
"""

from __future__ import annotations

import sqlalchemy as sa

from ledger.storage import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = sa.MetaData(naming_convention=NAMING)

LIMITS = ("none", "debits_must_not_exceed_credits", "credits_must_not_exceed_debits")
STATES = ("pending", "posted", "voided")
KINDS = (
    "redemption", "contribution", "topup", "quota_allocation", "stock_receipt", "deposit", "reversal", "adjustment",
)


PENDING = sa.text("state = 'pending'")
PENDING_EXPIRY = sa.text("state = 'pending' AND expires_at IS NOT NULL")
REMOTE = sa.text("remote_ref IS NOT NULL")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _counter(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, nullable=False, default=0)


accounts = sa.Table(
    "ledger_accounts",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("key", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("asset", sa.String(40), nullable=False),
    sa.Column("limit_flag", sa.String(40), nullable=False),
    sa.Column("owner", sa.String(128), nullable=True),
    _counter("debits_posted"),
    _counter("credits_posted"),
    _counter("debits_pending"),
    _counter("credits_pending"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("closed_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("key", name="uq_ledger_accounts_key"),
    sa.UniqueConstraint("id", "asset", name="uq_ledger_accounts_id_asset"),
    sa.CheckConstraint(_in("limit_flag", LIMITS), name="limit_flag"),
    sa.CheckConstraint(
        "debits_posted >= 0 AND credits_posted >= 0 AND debits_pending >= 0 AND credits_pending >= 0",
        name="counters_not_negative",
    ),
    sa.CheckConstraint(
        "limit_flag <> 'debits_must_not_exceed_credits' OR debits_posted + debits_pending <= credits_posted",
        name="debits_within_credits",
    ),
    sa.CheckConstraint(
        "limit_flag <> 'credits_must_not_exceed_debits' OR credits_posted + credits_pending <= debits_posted",
        name="credits_within_debits",
    ),
)

journals = sa.Table(
    "ledger_journals",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("idempotency_key", sa.String(200), nullable=False),
    sa.Column("body_sha256", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("state", sa.String(8), nullable=False),
    sa.Column("kiosk", sa.String(64), nullable=True),
    sa.Column("farmer", sa.String(64), nullable=True),
    sa.Column("remote_ref", sa.String(128), nullable=True),
    sa.Column("memo", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("finalized_at", UTCDateTime, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),
    sa.UniqueConstraint("idempotency_key", name="uq_ledger_journals_idempotency_key"),
    sa.CheckConstraint(_in("state", STATES), name="state"),
    sa.CheckConstraint(_in("kind", KINDS), name="kind"),
    sa.CheckConstraint("(state = 'pending') = (finalized_at IS NULL)", name="final_has_time"),
    sa.CheckConstraint("remote_ref IS NULL OR expires_at IS NULL", name="remote_never_expires"),
    # Partial indexes: a journal posted at once (the common case) enters neither.
    sa.Index("ix_ledger_journals_pending_expiry", "expires_at", postgresql_where=PENDING_EXPIRY, sqlite_where=PENDING_EXPIRY),
    sa.Index("ix_ledger_journals_pending", "created_at", postgresql_where=PENDING, sqlite_where=PENDING),
    sa.Index("ix_ledger_journals_remote_ref", "remote_ref", postgresql_where=REMOTE, sqlite_where=REMOTE),
)

legs = sa.Table(
    "ledger_legs",
    metadata,
    sa.Column("journal_id", sa.Uuid, sa.ForeignKey("ledger_journals.id", name="journal"), primary_key=True),
    sa.Column("idx", sa.SmallInteger, primary_key=True),
    sa.Column("debit_account_id", sa.Uuid, nullable=False),
    sa.Column("credit_account_id", sa.Uuid, nullable=False),
    sa.Column("asset", sa.String(40), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.CheckConstraint("amount > 0", name="amount_positive"),
    sa.CheckConstraint("idx >= 0", name="idx_not_negative"),
    sa.CheckConstraint("debit_account_id <> credit_account_id", name="two_accounts"),
    sa.ForeignKeyConstraint(
        ["debit_account_id", "asset"], ["ledger_accounts.id", "ledger_accounts.asset"], name="debit"
    ),
    sa.ForeignKeyConstraint(
        ["credit_account_id", "asset"], ["ledger_accounts.id", "ledger_accounts.asset"], name="credit"
    ),
    sa.Index("ix_ledger_legs_debit", "debit_account_id", "journal_id"),
    sa.Index("ix_ledger_legs_credit", "credit_account_id", "journal_id"),
)

sink_deltas = sa.Table(
    "ledger_sink_deltas",
    metadata,
    sa.Column("account_id", sa.Uuid, primary_key=True),
    sa.Column("journal_id", sa.Uuid, primary_key=True),
    sa.Column("phase", sa.SmallInteger, primary_key=True),
    sa.Column("debits_posted", sa.BigInteger, nullable=False),
    sa.Column("credits_posted", sa.BigInteger, nullable=False),
    sa.Column("debits_pending", sa.BigInteger, nullable=False),
    sa.Column("credits_pending", sa.BigInteger, nullable=False),
    sa.CheckConstraint("phase IN (0, 1)", name="phase"),
)

entries = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("kind", sa.String(100), nullable=False),
    sa.Column("journal_id", sa.Uuid, sa.ForeignKey("ledger_journals.id", name="journal"), nullable=True),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("length(body) > 0", name="body_not_empty"),
    sa.Index("ix_ledger_entries_journal_id", "journal_id"),
)

# --- The audit log's seal (issue 7; migration l0002). The sealer gives each entry the next sequence
# number here (never inferred from entry ids, which commit out of order), with its RFC 6962 leaf hash;
# interior Merkle nodes are stored once each under (level, idx) (docs/audit-log.md §1); checkpoints
# are the signed tree heads. All three are append-only (triggers). New entries reach the sealer
# through ``ledger_seal_queue``, filled by a statement trigger on ``ledger_entries`` and emptied by
# the sealer (Trillian's "unsequenced" table): the sealer never scans the whole log.

seal = sa.Table(
    "ledger_seal",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("entry_id", sa.Uuid, sa.ForeignKey("ledger_entries.id", name="entry"), nullable=False),
    sa.Column("leaf_hash", sa.LargeBinary, nullable=False),
    sa.Column("sealed_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("entry_id", name="uq_ledger_seal_entry_id"),
    sa.CheckConstraint("seq >= 0", name="seq_not_negative"),
    sa.CheckConstraint("length(leaf_hash) = 32", name="leaf_hash_size"),
    sa.Index("ix_ledger_seal_leaf_hash", "leaf_hash"),
)

audit_nodes = sa.Table(
    "ledger_audit_nodes",
    metadata,
    sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.LargeBinary, nullable=False),
    sa.CheckConstraint("level BETWEEN 1 AND 63", name="level_range"),
    sa.CheckConstraint("idx >= 0", name="idx_not_negative"),
    sa.CheckConstraint("length(hash) = 32", name="hash_size"),
)

checkpoints = sa.Table(
    "ledger_checkpoints",
    metadata,
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("root_hash", sa.LargeBinary, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("size >= 0", name="size_not_negative"),
    sa.CheckConstraint("length(root_hash) = 32", name="root_hash_size"),
)

seal_queue = sa.Table(
    "ledger_seal_queue",
    metadata,
    sa.Column("entry_id", sa.Uuid, primary_key=True),
    sa.Column("rank", sa.SmallInteger, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_ledger_seal_queue_order", "rank", "created_at", "entry_id"),
)
