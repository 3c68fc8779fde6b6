"""Sealing: queued entries get the next sequence numbers, their leaf hashes and the nodes they complete.

One call seals at most ``limit`` entries in the caller's transaction, under the log's writer lock
(:func:`~ledger.audit.db.store.lock_log`). It reads only the queue and the entries' bodies (no row
lock that a journal write needs), appends ``ledger_seal`` and ``ledger_audit_nodes`` rows and deletes
the queue rows it sealed. An entry of a transaction that has not committed is not in the queue yet
(its queue row is as invisible as the entry): when it commits later, whatever its id, it gets a later
sequence number. Within one batch the order is the queue's ``rank`` (accounts opened, journals
submitted, journals settled, accounts closed, other entries), then ``created_at``, then id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger import dml
from ledger.audit.db.store import SqlHashStore, lock_log, sealed_size
from ledger.audit.merkle import leaf_hash
from ledger.audit.tree import CompactRange
from ledger.schema import audit_nodes, entries, seal_queue
from ledger.schema import seal as seal_table

log = logging.getLogger("ledger.audit")
DEFAULT_BATCH = 1000
MAX_BATCH = 100_000

_NEXT = (
    sa.select(seal_queue.c.entry_id, entries.c.body)
    .join(entries, entries.c.id == seal_queue.c.entry_id)
    .order_by(seal_queue.c.rank, seal_queue.c.created_at, seal_queue.c.entry_id)
    .limit(sa.bindparam("n"))
)
_DONE = seal_queue.delete().where(seal_queue.c.entry_id.in_(sa.bindparam("ids", expanding=True)))


@dataclass(frozen=True, slots=True)
class SealResult:
    """``sealed`` entries were given sequence numbers; the log now holds ``size`` entries."""

    sealed: int
    size: int


def seal(session: Session, *, now: datetime, limit: int = DEFAULT_BATCH) -> SealResult:
    """Seal up to ``limit`` queued entries (the caller commits)."""
    if type(limit) is not int or not 1 <= limit <= MAX_BATCH:
        raise ValueError(f"limit must be 1..{MAX_BATCH}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("naive datetime: every time must carry its zone")
    conn = session.connection()
    lock_log(conn)
    size = sealed_size(conn)
    batch = conn.execute(_NEXT, {"n": limit}).all()
    if not batch:
        return SealResult(0, size)
    compact = CompactRange.from_store(SqlHashStore(conn, size))
    leaves: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    for offset, row in enumerate(batch):
        h = leaf_hash(bytes(row.body))
        done = compact.append_nodes(h)
        leaves.append({"seq": size + offset, "entry_id": row.entry_id, "leaf_hash": h, "sealed_at": now})
        nodes.extend({"level": n.key.level, "idx": n.key.index, "hash": n.hash} for n in done[1:])
    dml.insert_rows(conn, seal_table, leaves)
    dml.insert_rows(conn, audit_nodes, nodes)
    ids = [row.entry_id for row in batch]
    for start in range(0, len(ids), dml.CHUNK):
        conn.execute(_DONE, {"ids": ids[start : start + dml.CHUNK]})
    log.info("event=audit_sealed count=%d size=%d", len(batch), compact.size)
    return SealResult(len(batch), compact.size)


def seal_all(session: Session, *, now: datetime, batch: int = DEFAULT_BATCH) -> int:
    """Seal every committed entry in the queue, ``batch`` at a time, in the caller's transaction."""
    total = 0
    while (done := seal(session, now=now, limit=batch).sealed) > 0:
        total += done
        if done < batch:
            break
    return total


def queued(session: Session) -> int:
    """Entries waiting to be sealed (committed ones only)."""
    return int(session.connection().execute(sa.select(sa.func.count()).select_from(seal_queue)).scalar_one())
