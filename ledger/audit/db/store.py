"""The seal tables as a :class:`~ledger.audit.tree.HashStore`, the sealer's database lock, and reads.

Leaf hashes live in ``ledger_seal`` (keyed by sequence number), interior nodes in
``ledger_audit_nodes`` (keyed by ``(level, idx)``, level >= 1). A proof's nodes come back in one
``SELECT`` (a ``UNION ALL`` of the two tables). Everything here reads through the caller's
connection and never commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger.audit.errors import LogStateError, ProofError
from ledger.audit.merkle import NodeKey
from ledger.schema import audit_nodes, checkpoints, seal

# The sealer's PostgreSQL advisory lock (transaction level): one sealer or checkpoint writer at a
# time. SQLite needs none: BEGIN IMMEDIATE (ledger.storage) already makes the transaction the only writer.
SEAL_LOCK_KEY = 0x1ED6_E5EA_10C4_A7D1


def is_postgres(conn: sa.Connection) -> bool:
    return conn.dialect.name == "postgresql"


def lock_log(conn: sa.Connection) -> None:
    """Take the log's writer lock for the rest of the caller's transaction."""
    if is_postgres(conn):
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEAL_LOCK_KEY})


def sealed_size(conn: sa.Connection) -> int:
    """Entries sealed so far (sequence numbers are ``0 .. size-1``)."""
    top = conn.execute(sa.select(sa.func.max(seal.c.seq))).scalar()
    return 0 if top is None else int(top) + 1


_LEAVES = sa.select(sa.literal(0, sa.SmallInteger).label("level"), seal.c.seq.label("idx"), seal.c.leaf_hash.label("hash"))
_INTERIOR = sa.select(audit_nodes.c.level, audit_nodes.c.idx, audit_nodes.c.hash)


class SqlHashStore:
    """A :class:`~ledger.audit.tree.HashStore` over the seal tables at a fixed ``size``."""

    def __init__(self, conn: sa.Connection, size: int | None = None) -> None:
        self._conn = conn
        self._size = sealed_size(conn) if size is None else size

    @property
    def size(self) -> int:
        return self._size

    def leaf_hash(self, index: int) -> bytes:
        return self.node_hashes([NodeKey(0, index)])[0]

    def node_hashes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        leaves = [k.index for k in keys if k.level == 0]
        inner = [(k.level, k.index) for k in keys if k.level > 0]
        parts: list[sa.Select[Any]] = []
        if leaves:
            parts.append(_LEAVES.where(seal.c.seq.in_(leaves)))
        if inner:
            parts.append(_INTERIOR.where(sa.tuple_(audit_nodes.c.level, audit_nodes.c.idx).in_(inner)))
        if not parts:
            return []
        stmt = parts[0] if len(parts) == 1 else sa.union_all(*parts)
        found = {(int(r.level), int(r.idx)): bytes(r.hash) for r in self._conn.execute(stmt)}
        out: list[bytes] = []
        for k in keys:
            h = found.get((k.level, k.index))
            if h is None:
                raise ProofError("store_node_missing", level=k.level, index=k.index)
            out.append(h)
        return out


@dataclass(frozen=True, slots=True)
class CheckpointRow:
    """A stored checkpoint: its tree size, root hash, the signed note and when it was written."""

    size: int
    root_hash: bytes
    note: str
    created_at: datetime


def _row(r: Any) -> CheckpointRow:
    return CheckpointRow(int(r.size), bytes(r.root_hash), r.note, r.created_at)


def latest_checkpoint(conn: sa.Connection) -> CheckpointRow | None:
    r = conn.execute(sa.select(checkpoints).order_by(checkpoints.c.size.desc()).limit(1)).first()
    return None if r is None else _row(r)


def checkpoint_at(conn: sa.Connection, size: int) -> CheckpointRow:
    r = conn.execute(sa.select(checkpoints).where(checkpoints.c.size == size)).first()
    if r is None:
        raise LogStateError("checkpoint_not_found", size=size)
    return _row(r)


def checkpoint_or_latest(conn: sa.Connection, size: int | None) -> CheckpointRow:
    if size is not None:
        return checkpoint_at(conn, size)
    row = latest_checkpoint(conn)
    if row is None:
        raise LogStateError("checkpoint_not_found", size="-")
    return row


def all_checkpoints(conn: sa.Connection, *, up_to: int | None = None) -> list[CheckpointRow]:
    """Every stored checkpoint, smallest first (at most ``up_to`` entries)."""
    stmt = sa.select(checkpoints).order_by(checkpoints.c.size)
    if up_to is not None:
        stmt = stmt.where(checkpoints.c.size <= up_to)
    return [_row(r) for r in conn.execute(stmt)]


@dataclass(frozen=True, slots=True)
class SealedEntry:
    seq: int
    entry_id: uuid.UUID
    leaf_hash: bytes


def sealed_by_leaf(conn: sa.Connection, leaf_hash: bytes) -> SealedEntry | None:
    r = conn.execute(sa.select(seal.c.seq, seal.c.entry_id, seal.c.leaf_hash).where(seal.c.leaf_hash == leaf_hash)
                     .order_by(seal.c.seq).limit(1)).first()
    return None if r is None else SealedEntry(int(r.seq), r.entry_id, bytes(r.leaf_hash))


def sealed_by_entry(conn: sa.Connection, entry_id: uuid.UUID) -> SealedEntry | None:
    r = conn.execute(sa.select(seal.c.seq, seal.c.entry_id, seal.c.leaf_hash).where(seal.c.entry_id == entry_id)).first()
    return None if r is None else SealedEntry(int(r.seq), r.entry_id, bytes(r.leaf_hash))


@contextmanager
def read_snapshot(engine: sa.Engine) -> Iterator[Session]:
    """A read-only session whose statements all see one snapshot: PostgreSQL REPEATABLE READ, READ
    ONLY; SQLite a deferred read transaction (WAL: writers go on, and are never blocked by it)."""
    if engine.dialect.name == "postgresql":
        options: dict[str, Any] = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    else:
        options = {"sqlite_begin": "DEFERRED"}
    with engine.connect().execution_options(**options) as conn, Session(bind=conn) as session, session.begin():
        yield session
