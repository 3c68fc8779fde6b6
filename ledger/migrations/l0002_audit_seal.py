"""ledger: the audit log's seal, Merkle nodes, checkpoints and seal queue

Revision ID: l0002
Revises: l0001
Create Date: 2026-12-05

``ledger_seal`` (sequence number -> entry, leaf hash), ``ledger_audit_nodes`` (complete interior
subtree hashes) and ``ledger_checkpoints`` (signed tree heads) are append-only like l0001's history:
UPDATE and DELETE are refused by triggers (TRUNCATE too on PostgreSQL). ``ledger_seal_queue`` is the
sealer's work list: a trigger on ``ledger_entries`` adds every new entry in the inserting
transaction (so an entry of a transaction still in flight is invisible to the sealer until it
commits), the sealer deletes what it sealed. Its ``rank`` orders one batch causally: an account is
opened before journals use it, a journal is submitted before it is posted or voided, and an account
is closed after its journals settled (docs/audit-log.md, "Sealing"). Existing entries are queued.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.storage import UTCDateTime

revision = "l0002"
down_revision = "l0001"
branch_labels = None
depends_on = None

APPEND_ONLY = ("ledger_seal", "ledger_audit_nodes", "ledger_checkpoints")
RANK = ("CASE kind WHEN 'account.opened' THEN 0 WHEN 'journal.submitted' THEN 1 "
        "WHEN 'journal.posted' THEN 2 WHEN 'journal.voided' THEN 2 WHEN 'journal.expired' THEN 2 "
        "WHEN 'account.closed' THEN 3 ELSE 4 END")


def _tables() -> None:
    op.create_table(
        "ledger_seal",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_ledger_seal"),
        sa.ForeignKeyConstraint(["entry_id"], ["ledger_entries.id"], name="fk_ledger_seal_entry"),
        sa.UniqueConstraint("entry_id", name="uq_ledger_seal_entry_id"),
        sa.CheckConstraint("seq >= 0", name="ck_ledger_seal_seq_not_negative"),
        sa.CheckConstraint("length(leaf_hash) = 32", name="ck_ledger_seal_leaf_hash_size"),
    )
    op.create_index("ix_ledger_seal_leaf_hash", "ledger_seal", ["leaf_hash"])
    op.create_table(
        "ledger_audit_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name="pk_ledger_audit_nodes"),
        sa.CheckConstraint("level BETWEEN 1 AND 63", name="ck_ledger_audit_nodes_level_range"),
        sa.CheckConstraint("idx >= 0", name="ck_ledger_audit_nodes_idx_not_negative"),
        sa.CheckConstraint("length(hash) = 32", name="ck_ledger_audit_nodes_hash_size"),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("size", name="pk_ledger_checkpoints"),
        sa.CheckConstraint("size >= 0", name="ck_ledger_checkpoints_size_not_negative"),
        sa.CheckConstraint("length(root_hash) = 32", name="ck_ledger_checkpoints_root_hash_size"),
    )
    op.create_table(
        "ledger_seal_queue",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name="pk_ledger_seal_queue"),
    )
    op.create_index("ix_ledger_seal_queue_order", "ledger_seal_queue", ["rank", "created_at", "entry_id"])


def _sqlite_triggers() -> None:
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END")
    op.execute("CREATE TRIGGER ledger_entries_enqueue AFTER INSERT ON ledger_entries BEGIN "
               "INSERT INTO ledger_seal_queue (entry_id, rank, created_at) "
               f"VALUES (NEW.id, {RANK.replace('kind', 'NEW.kind')}, NEW.created_at); END")


# One call per INSERT statement (a transition table), not per row: a journal's entries and an
# import's thousands cost the write path one extra INSERT ... SELECT each.
PG_ENQUEUE = f"""
    BEGIN
      INSERT INTO ledger_seal_queue (entry_id, rank, created_at) SELECT id, {RANK}, created_at FROM added;
      RETURN NULL;
    END"""


def _pg_triggers() -> None:
    op.execute(f"CREATE FUNCTION ledger_enqueue_entries() RETURNS trigger LANGUAGE plpgsql AS $fn${PG_ENQUEUE}\n$fn$")
    op.execute("CREATE TRIGGER ledger_entries_enqueue AFTER INSERT ON ledger_entries REFERENCING NEW TABLE AS added "
               "FOR EACH STATEMENT EXECUTE FUNCTION ledger_enqueue_entries()")
    for table in APPEND_ONLY:  # ledger_refuse_change() comes from l0001
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()")


def upgrade() -> None:
    _tables()
    op.execute(f"INSERT INTO ledger_seal_queue (entry_id, rank, created_at) SELECT id, {RANK}, created_at FROM ledger_entries")
    if op.get_bind().dialect.name == "postgresql":
        _pg_triggers()
    else:
        _sqlite_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ledger_entries_enqueue ON ledger_entries")
        op.execute("DROP FUNCTION ledger_enqueue_entries()")
    else:
        op.execute("DROP TRIGGER ledger_entries_enqueue")
    for table in ("ledger_seal_queue", "ledger_checkpoints", "ledger_audit_nodes", "ledger_seal"):
        op.drop_table(table)
