"""Reads: balances (exact, sinks included), journals, an account's history, pending journals."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger import store
from ledger.errors import InvalidInput, UnknownAccount
from ledger.ids import id_order
from ledger.model import MAX_LEGS, Balance, HistoryLine, Journal, JournalKind, JournalState, Limit, check_time
from ledger.schema import accounts, journals, legs, sink_deltas

_DELTA_SUMS = (
    sa.select(sink_deltas.c.account_id, *(sa.cast(sa.func.sum(sink_deltas.c[n]), sa.BigInteger).label(f"d_{n}") for n in store.COUNTERS))
    .where(sink_deltas.c.account_id.in_(sa.bindparam("ids", expanding=True)))
    .group_by(sink_deltas.c.account_id)
    .subquery("d")
)
# One statement, hence one snapshot on every backend: stored counters plus the sink deltas not
# yet rolled up. A roll-up moves amounts from deltas to counters in one transaction, so a reader
# sees either both before or both after.
_BALANCES = sa.select(
    accounts.c.id, accounts.c.asset, accounts.c.limit_flag,
    *((accounts.c[n] + sa.func.coalesce(_DELTA_SUMS.c[f"d_{n}"], 0)).label(n) for n in store.COUNTERS),
).select_from(accounts.outerjoin(_DELTA_SUMS, _DELTA_SUMS.c.account_id == accounts.c.id)).where(
    accounts.c.id.in_(sa.bindparam("ids", expanding=True))
)


def balances(session: Session, account_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Balance]:
    """Exact balances of ``account_ids``; an unknown id raises UnknownAccount."""
    wanted = sorted(set(account_ids), key=id_order)
    conn = session.connection()
    out: dict[uuid.UUID, Balance] = {}
    for part in store.chunks(wanted):
        for row in conn.execute(_BALANCES, {"ids": list(part)}):
            out[row.id] = Balance(
                row.id, row.asset, Limit(row.limit_flag),
                int(row.debits_posted), int(row.credits_posted), int(row.debits_pending), int(row.credits_pending),
            )
    for account_id in wanted:
        if account_id not in out:
            raise UnknownAccount(account_id)
    return out


def balance(session: Session, account_id: uuid.UUID) -> Balance:
    return balances(session, [account_id])[account_id]


def journal(session: Session, journal_id: uuid.UUID) -> Journal | None:
    rows = session.connection().execute(sa.select(journals).where(journals.c.id == journal_id)).all()
    return store.load_journals(session.connection(), rows)[0] if rows else None


def journal_by_key(session: Session, idempotency_key: str) -> Journal | None:
    rows = session.connection().execute(sa.select(journals).where(journals.c.idempotency_key == idempotency_key)).all()
    return store.load_journals(session.connection(), rows)[0] if rows else None


def journals_by_remote_ref(session: Session, remote_ref: str) -> list[Journal]:
    rows = session.connection().execute(
        sa.select(journals).where(journals.c.remote_ref == remote_ref).order_by(journals.c.id)
    ).all()
    return store.load_journals(session.connection(), rows)


def pending_journals(
    session: Session, *, remote: bool | None = None, older_than: datetime | None = None, limit: int = 100
) -> list[Journal]:
    """Pending journals, oldest first: the worker's queue. ``remote`` True keeps only journals
    marked remote (their BPJS payment may have been sent), False only local ones."""
    stmt = sa.select(journals).where(journals.c.state == JournalState.PENDING.value)
    if remote is True:
        stmt = stmt.where(journals.c.remote_ref.is_not(None))
    elif remote is False:
        stmt = stmt.where(journals.c.remote_ref.is_(None))
    if older_than is not None:
        stmt = stmt.where(journals.c.created_at < check_time("older_than", older_than))
    rows = session.connection().execute(stmt.order_by(journals.c.created_at, journals.c.id).limit(_limit(limit))).all()
    return store.load_journals(session.connection(), rows)


def _limit(limit: int) -> int:
    if type(limit) is not int or not 1 <= limit <= 10_000:
        raise InvalidInput("limit", "1 sampai 10000", "1 to 10000")
    return limit


def _side(account_id: uuid.UUID, mine: sa.ColumnElement[Any], other: sa.ColumnElement[Any], sign: int,
          before: uuid.UUID | None) -> sa.Select[Any]:
    stmt = (
        sa.select(legs.c.journal_id, legs.c.idx, journals.c.kind, journals.c.state, journals.c.created_at,
                  other.label("counterparty"), legs.c.asset, (legs.c.amount * sign).label("amount"))
        .join(journals, journals.c.id == legs.c.journal_id)
        .where(mine == account_id)
    )
    return stmt if before is None else stmt.where(legs.c.journal_id < before)


def history(session: Session, account_id: uuid.UUID, *, before: uuid.UUID | None = None, limit: int = 50) -> list[HistoryLine]:
    """Legs touching ``account_id``, newest journal first; at least ``limit`` legs (fewer at the
    end) and never half a journal. Page with ``before`` = the last journal id of the previous
    page. Amounts are debit-positive for this account."""
    if not store.load_accounts(session.connection(), [account_id]):
        raise UnknownAccount(account_id)
    debits = _side(account_id, legs.c.debit_account_id, legs.c.credit_account_id, 1, before)
    credits = _side(account_id, legs.c.credit_account_id, legs.c.debit_account_id, -1, before)
    both = sa.union_all(debits, credits).subquery()
    # Fetch enough to finish the last journal (at most MAX_LEGS legs), so pages end on a journal.
    rows = session.connection().execute(
        sa.select(both).order_by(both.c.journal_id.desc(), both.c.idx).limit(_limit(limit) + MAX_LEGS)
    ).all()
    out: list[HistoryLine] = []
    for r in rows:
        if len(out) >= limit and r.journal_id != out[-1].journal_id:
            break
        out.append(HistoryLine(r.journal_id, r.idx, JournalKind(r.kind), JournalState(r.state), r.created_at,
                               r.counterparty, r.asset, r.amount))
    return out
