"""Unlimited sinks without a hot row (DESIGN §4 "append legs, roll up").

A journal never updates the counters of an unlimited account (BPJS collection, kiosk sales, agent
fees, redeemed/sold kilograms): it appends one ``ledger_sink_deltas`` row per such account instead,
so concurrent journals do not queue on one row lock. ``roll_up`` (run by the worker, or any time)
moves deltas into the stored counters: per account it locks the account row, deletes the deltas it
can see and adds their sums to the counters, in one transaction. A delta inserted concurrently is
not visible to that DELETE, so it stays for the next roll-up; nothing is counted twice or lost.
Reads (``ledger.queries.balances``) add the remaining deltas to the counters in one statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger import store
from ledger.errors import InvalidInput, UnknownAccount
from ledger.ids import id_order
from ledger.rules import Counters
from ledger.schema import sink_deltas

_TAKE = sa.delete(sink_deltas).where(sink_deltas.c.account_id == sa.bindparam("a")).returning(
    *(sink_deltas.c[n] for n in store.COUNTERS)
)


def roll_up(session: Session, *, account_ids: Iterable[uuid.UUID] | None = None, limit: int = 1000) -> int:
    """Fold the sink deltas of ``account_ids`` (default: up to ``limit`` accounts that have some)
    into their counters. Returns how many delta rows were folded. Balances do not change."""
    if type(limit) is not int or limit < 1:
        raise InvalidInput("limit", "minimal 1", "at least 1")
    conn = session.connection()
    if account_ids is None:
        wanted = conn.execute(
            sa.select(sink_deltas.c.account_id).distinct().order_by(sink_deltas.c.account_id).limit(limit)
        ).scalars().all()
    else:
        wanted = sorted(set(account_ids), key=id_order)
    folded = 0
    for account_id in wanted:
        if account_id not in store.lock_counters(conn, [account_id]):
            raise UnknownAccount(account_id)  # delta rows carry no foreign key: refuse orphans loudly
        total = Counters()
        for row in conn.execute(_TAKE, {"a": account_id}):
            total = total + Counters(*row)
            folded += 1
        store.add_counters(conn, {account_id: total})
    if folded:
        store.log.info("event=sinks_rolled_up accounts=%d deltas=%d", len(wanted), folded)
    return folded
