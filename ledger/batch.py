"""Many journals in one database transaction (imports: RDKK quota allocations, stock receipts).

All or nothing, inside a savepoint: if any journal is refused, ``BatchRefused`` names it (index and
cause) and the batch has written nothing, even if the caller goes on using the transaction.
Journals apply in order, so a later journal may spend what an earlier one of the batch credited.
A key repeated within the batch, or seen before, is a replay (same body) or a conflict.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger import dml, store
from ledger import journals as jr
from ledger.entries import EntryKind, journal_entry
from ledger.errors import BatchRefused, ConcurrentSubmission, IdempotencyConflict, LedgerError
from ledger.ids import new_id
from ledger.model import Account, Journal, JournalResult, JournalSpec, JournalState, check_time
from ledger.queries import balances
from ledger.rules import Counters, apply_with_limits, check_accounts, leg_deltas, spec_digest
from ledger.schema import entries, journals, legs, sink_deltas

_BY_KEYS = sa.select(journals.c.id, journals.c.idempotency_key, journals.c.body_sha256, journals.c.state).where(
    journals.c.idempotency_key.in_(sa.bindparam("keys", expanding=True))
)


@dataclass
class _Writes:
    journal_rows: list[dict[str, Any]] = field(default_factory=list)
    leg_rows: list[dict[str, Any]] = field(default_factory=list)
    delta_rows: list[dict[str, Any]] = field(default_factory=list)
    entry_rows: list[dict[str, Any]] = field(default_factory=list)
    counters: dict[uuid.UUID, Counters] = field(default_factory=dict)


def submit_batch(session: Session, specs: Iterable[JournalSpec], *, now: datetime) -> list[JournalResult]:
    """Submit ``specs`` in order in the caller's transaction; one result per spec."""
    check_time("now", now)
    todo = list(specs)
    for spec in todo:
        if not isinstance(spec, JournalSpec):
            raise TypeError("submit_batch takes JournalSpec values")
    try:
        with session.begin_nested():  # the SAVEPOINT is emitted when _submit_all first uses the connection
            return _submit_all(session, todo, now)
    except sa.exc.IntegrityError as exc:
        text = str(exc.orig)
        if any(mark in text for mark in ("idempotency_key", "pk_ledger_journals", "ledger_journals.id")):
            raise ConcurrentSubmission() from exc
        raise


def _submit_all(session: Session, specs: list[JournalSpec], now: datetime) -> list[JournalResult]:
    """Lock what the batch touches, then take the journals strictly in order: the first one
    refused (conflicting key, account, asset, limit) refuses the batch."""
    conn = session.connection()
    dml.bulk_mode(conn)
    digests = [spec_digest(spec) for spec in specs]
    known = _known_keys(conn, specs)
    new_keys = {spec.idempotency_key for spec in specs} - set(known)
    touched = {a for spec in specs if spec.idempotency_key in new_keys for leg in spec.legs for a in (leg.debit, leg.credit)}
    accounts, current = _lock(conn, touched)
    first_of: dict[str, int] = {}
    writes = _Writes()
    results: dict[int, JournalResult] = {}
    for i, spec in enumerate(specs):
        key = spec.idempotency_key
        seen = known.get(key)
        if seen is not None and seen.body_sha256 != digests[i]:
            raise BatchRefused(i, IdempotencyConflict(key, seen.id))
        if key in first_of and digests[first_of[key]] != digests[i]:
            raise BatchRefused(i, IdempotencyConflict(key, "earlier in this batch"))
        if seen is None and key not in first_of:
            _refuse_as(i, check_accounts, spec.legs, accounts)
            results[i] = _plan(i, spec, digests[i], now, accounts, current, writes)
        first_of.setdefault(key, i)
    _write(conn, writes)
    store.log.info("event=batch_submitted journals=%d new=%d", len(specs), len(results))
    return _with_replays(session, specs, results, first_of, known)


def _known_keys(conn: sa.Connection, specs: list[JournalSpec]) -> dict[str, Any]:
    keys = sorted({spec.idempotency_key for spec in specs})
    found: dict[str, Any] = {}
    for part in store.chunks(keys):
        for row in conn.execute(_BY_KEYS, {"keys": list(part)}):
            found[row.idempotency_key] = row
    return found


def _refuse_as(index: int, check: Any, *args: Any) -> Any:
    try:
        return check(*args)
    except LedgerError as exc:
        raise BatchRefused(index, exc) from exc


def _lock(conn: sa.Connection, ids: set[uuid.UUID]) -> tuple[dict[uuid.UUID, Account], dict[uuid.UUID, Counters]]:
    """The accounts ``ids`` (closed status as seen under the lock) and the counters of the
    limited ones, locked in ascending id order."""
    accounts = store.load_accounts(conn, ids)
    locked = store.lock_counters(conn, [a.id for a in accounts.values() if a.limited])
    for account_id, (_, closed_at) in locked.items():
        if closed_at != accounts[account_id].closed_at:  # closed since it was read
            accounts[account_id] = replace(accounts[account_id], closed_at=closed_at)
    return accounts, {k: c for k, (c, _) in locked.items()}


def _plan(i: int, spec: JournalSpec, digest: str, now: datetime, accounts: dict[uuid.UUID, Account],
          current: dict[uuid.UUID, Counters], writes: _Writes) -> JournalResult:
    """Check journal ``i`` against the running counters and queue its rows."""
    limited, sinks = store.split_by_limit(leg_deltas(spec.legs, pending=spec.pending), accounts)
    new = _refuse_as(i, apply_with_limits, current, limited, accounts)
    current.update(new)
    for account_id, d in limited.items():
        writes.counters[account_id] = writes.counters.get(account_id, Counters()) + d
    journal: Journal = jr.new_journal(spec, now)
    writes.journal_rows.append(jr.journal_row(journal, digest))
    writes.leg_rows.extend(jr.leg_rows(journal))
    writes.delta_rows.extend(store.sink_delta_rows(journal.id, store.SUBMIT_PHASE, sinks))
    entry_id = new_id(now)
    writes.entry_rows.append({
        "id": entry_id, "kind": EntryKind.JOURNAL_SUBMITTED.value, "journal_id": journal.id, "created_at": now,
        "body": journal_entry(entry_id, EntryKind.JOURNAL_SUBMITTED, now, journal),
    })
    return JournalResult(journal.id, journal.state, {k: store.balance_of(accounts[k], c) for k, c in new.items()})


def _write(conn: sa.Connection, writes: _Writes) -> None:
    for table, rows in (
        (journals, writes.journal_rows),
        (legs, writes.leg_rows),
        (sink_deltas, writes.delta_rows),
        (entries, writes.entry_rows),
    ):
        store.insert_rows(conn, table, rows)
    store.add_counters(conn, writes.counters)


def _with_replays(session: Session, specs: list[JournalSpec], results: dict[int, JournalResult],
                  first_of: dict[str, int], known: dict[str, Any]) -> list[JournalResult]:
    """One result per spec; a replayed spec (its key seen before, or earlier in this batch) gets
    the first journal as it stands now, ``replayed=True``."""
    replays = [i for i in range(len(specs)) if i not in results]
    if not replays:
        return [results[i] for i in range(len(specs))]
    touched = store.load_accounts(session.connection(), {a for i in replays for leg in specs[i].legs for a in (leg.debit, leg.credit)})
    now_balances = balances(session, [a.id for a in touched.values() if a.limited])
    out: list[JournalResult] = []
    for i, spec in enumerate(specs):
        if i in results:
            out.append(results[i])
            continue
        row = known.get(spec.idempotency_key)
        first = results.get(first_of[spec.idempotency_key])
        journal_id, state = (row.id, JournalState(row.state)) if row is not None else (first.journal_id, first.state)  # type: ignore[union-attr]
        mine = {a for leg in spec.legs for a in (leg.debit, leg.credit) if a in now_balances}
        out.append(JournalResult(journal_id, state, {a: now_balances[a] for a in mine}, replayed=True))
    return out
