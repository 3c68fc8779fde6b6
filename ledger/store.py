"""SQL building blocks shared by the ledger's services: row mapping, locking, counters, entries.

Services take the caller's ``Session`` and never commit (STYLE habit 3). Limited accounts are
locked in ascending id order with ``SELECT ... FOR NO KEY UPDATE`` on PostgreSQL (it does not
conflict with the ``KEY SHARE`` locks that foreign-key checks take); SQLite transactions are
already serialized by ``BEGIN IMMEDIATE`` (``ledger.storage``).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger import dml
from ledger.entries import EntryKind, journal_entry
from ledger.ids import id_order, new_id
from ledger.model import Account, AccountFacts, Balance, Journal, JournalKind, JournalState, Leg, Limit
from ledger.rules import Counters
from ledger.schema import accounts, entries, journals, legs, sink_deltas

log = logging.getLogger("ledger")
CHUNK = 500  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits
COUNTERS = dml.COUNTERS

ACCOUNT_COLUMNS = (
    accounts.c.id, accounts.c.key, accounts.c.kind, accounts.c.asset, accounts.c.limit_flag,
    accounts.c.owner, accounts.c.created_at, accounts.c.closed_at,
)
_SELECT_ACCOUNTS = {
    pg: sa.select(*ACCOUNT_COLUMNS).where(dml.id_in(accounts.c.id, "ids", postgres=pg)) for pg in (True, False)
}
_LOCK_COUNTERS = {
    True: sa.select(accounts.c.id, accounts.c.closed_at, *(accounts.c[n] for n in COUNTERS))
    .where(dml.id_in(accounts.c.id, "ids", postgres=True))
    .order_by(accounts.c.id)
    .with_for_update(key_share=True),  # FOR NO KEY UPDATE
    False: sa.select(accounts.c.id, accounts.c.closed_at, *(accounts.c[n] for n in COUNTERS))
    .where(dml.id_in(accounts.c.id, "ids", postgres=False)),
}
INSERT_ENTRY = entries.insert()


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


is_postgres = dml.is_postgres


def to_account(row: Any) -> Account:
    return Account(
        id=row.id, key=row.key, kind=row.kind, asset=row.asset, limit=Limit(row.limit_flag),
        owner=row.owner, created_at=row.created_at, closed_at=row.closed_at,
    )


def load_accounts(conn: sa.Connection, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Account]:
    wanted = sorted(set(ids), key=id_order)
    out: dict[uuid.UUID, Account] = {}
    for part in chunks(wanted):
        for row in conn.execute(_SELECT_ACCOUNTS[is_postgres(conn)], {"ids": list(part)}):
            out[row.id] = to_account(row)
    return out


def lock_counters(conn: sa.Connection, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[Counters, datetime | None]]:
    """Counters (and closed_at) of ``ids``, locked for the rest of the transaction in ascending id
    order. Chunks follow the sorted order, so the whole lock order stays ascending."""
    wanted = sorted(set(ids), key=id_order)
    stmt = _LOCK_COUNTERS[is_postgres(conn)]
    out: dict[uuid.UUID, tuple[Counters, datetime | None]] = {}
    for part in chunks(wanted):
        for row in conn.execute(stmt, {"ids": list(part)}):
            out[row.id] = (Counters(row.debits_posted, row.credits_posted, row.debits_pending, row.credits_pending), row.closed_at)
    return out


def counter_tuples(deltas: Mapping[uuid.UUID, Counters]) -> list[tuple[uuid.UUID, tuple[int, int, int, int]]]:
    return [
        (k, (d.debits_posted, d.credits_posted, d.debits_pending, d.credits_pending))
        for k, d in deltas.items() if not d.is_zero
    ]


def add_counters(conn: sa.Connection, deltas: Mapping[uuid.UUID, Counters]) -> None:
    """Add ``deltas`` to the stored counters of (locked) accounts; the CHECK constraints are the
    backstop should a caller ever skip the lock or the limit check."""
    dml.add_to_counters(conn, counter_tuples(deltas))


insert_rows = dml.insert_rows


SUBMIT_PHASE, SETTLE_PHASE = 0, 1


def sink_delta_rows(journal_id: uuid.UUID, phase: int, deltas: Mapping[uuid.UUID, Counters]) -> list[dict[str, Any]]:
    return [
        {"account_id": account_id, "journal_id": journal_id, "phase": phase, **{n: getattr(d, n) for n in COUNTERS}}
        for account_id, d in sorted(deltas.items(), key=lambda kd: kd[0].int)
        if not d.is_zero
    ]


def append_sink_deltas(conn: sa.Connection, journal_id: uuid.UUID, phase: int, deltas: Mapping[uuid.UUID, Counters]) -> None:
    """Record counter changes of unlimited accounts as rows instead of updating a hot row. A
    journal adds at most one row per account and phase (submit; post or void)."""
    insert_rows(conn, sink_deltas, sink_delta_rows(journal_id, phase, deltas))


def split_by_limit(
    deltas: Mapping[uuid.UUID, Counters], accounts_by_id: Mapping[uuid.UUID, Account | AccountFacts]
) -> tuple[dict[uuid.UUID, Counters], dict[uuid.UUID, Counters]]:
    limited = {k: v for k, v in deltas.items() if accounts_by_id[k].limited}
    sinks = {k: v for k, v in deltas.items() if not accounts_by_id[k].limited}
    return limited, sinks


def write_entry(conn: sa.Connection, kind: str, at: datetime, body: bytes, *, entry_id: uuid.UUID,
                journal_id: uuid.UUID | None = None) -> None:
    conn.execute(INSERT_ENTRY, {"id": entry_id, "kind": kind, "journal_id": journal_id, "body": body, "created_at": at})


def write_journal_entry(conn: sa.Connection, kind: EntryKind, at: datetime, journal: Journal) -> uuid.UUID:
    entry_id = new_id(at)
    write_entry(conn, kind.value, at, journal_entry(entry_id, kind, at, journal), entry_id=entry_id, journal_id=journal.id)
    return entry_id


def balance_of(account: Account | AccountFacts, c: Counters) -> Balance:
    return Balance(account.id, account.asset, account.limit, c.debits_posted, c.credits_posted, c.debits_pending, c.credits_pending)


def memo_text(memo: Mapping[str, str]) -> str:
    return json.dumps(dict(memo), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_SELECT_LEGS = (
    sa.select(legs.c.journal_id, legs.c.debit_account_id, legs.c.credit_account_id, legs.c.asset, legs.c.amount)
    .where(legs.c.journal_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(legs.c.journal_id, legs.c.idx)
)


def load_journals(conn: sa.Connection, rows: Sequence[Any]) -> list[Journal]:
    """Journals (with their legs) for ``rows`` of ``ledger_journals``, in the same order."""
    by_journal: dict[uuid.UUID, list[Leg]] = {row.id: [] for row in rows}
    for part in chunks(list(by_journal)):
        for leg in conn.execute(_SELECT_LEGS, {"ids": list(part)}):
            by_journal[leg.journal_id].append(Leg(leg.debit_account_id, leg.credit_account_id, leg.asset, leg.amount))
    return [to_journal(row, tuple(by_journal[row.id])) for row in rows]


def to_journal(row: Any, journal_legs: tuple[Leg, ...]) -> Journal:
    return Journal(
        id=row.id, idempotency_key=row.idempotency_key, kind=JournalKind(row.kind), state=JournalState(row.state),
        legs=journal_legs, kiosk=row.kiosk, farmer=row.farmer, remote_ref=row.remote_ref, memo=json.loads(row.memo),
        created_at=row.created_at, expires_at=row.expires_at, finalized_at=row.finalized_at, reason=row.reason,
    )


def select_journal(session: Session, *, lock: bool = False) -> sa.Select[Any]:
    stmt = sa.select(journals)
    if lock and is_postgres(session.connection()):
        stmt = stmt.with_for_update(key_share=True)
    return stmt
