"""Submitting journals (DESIGN §4). A service: the caller owns the session and its transaction;
a refused journal raises before anything is written.

One submit: build the journal, its rows and its audit entry (no database needed), then:

* PostgreSQL, usually: **one statement** reads the accounts, locks the limited ones in ascending
  id order, checks existence, open state, assets and limits on the locked counters and, only if
  all hold, writes the journal, legs, sink deltas and entry and adds to the counters
  (``dml._PG_SUBMIT``). Nothing is read before it, so a journal costs one round trip between
  BEGIN and COMMIT, and the hot rows stay locked for the rest of that statement and the COMMIT.
* The careful path, on SQLite and on PostgreSQL when that statement refused (it then wrote
  nothing, and raised nothing, so the transaction goes on): one query for the idempotency key and
  the accounts with their counters; check accounts, assets and limits on them (``ledger.rules``),
  raising the named error or replaying the first journal; then write. On SQLite, BEGIN IMMEDIATE
  already made this transaction the only writer, so the read is current; on PostgreSQL the write
  re-checks under the locks (``dml._PG_ONE_STATEMENT``), and a journal a concurrent writer outran
  gets its named error from the locked counters.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ledger import dml, store
from ledger.entries import EntryKind, journal_entry
from ledger.errors import AccountClosed, ConcurrentSubmission, IdempotencyConflict, InvalidInput
from ledger.ids import id_order, new_id
from ledger.model import (
    Account,
    AccountFacts,
    Balance,
    Journal,
    JournalResult,
    JournalSpec,
    JournalState,
    Limit,
    check_time,
)
from ledger.queries import balances
from ledger.rules import Counters, apply_with_limits, check_accounts, leg_deltas, spec_digest
from ledger.schema import accounts, journals

_INSERT_JOURNAL = {
    "postgresql": postgresql.insert(journals).on_conflict_do_nothing().returning(journals.c.id),
    "sqlite": sqlite.insert(journals).on_conflict_do_nothing().returning(journals.c.id),
}
_BY_KEY = sa.select(journals.c.id, journals.c.body_sha256, journals.c.state).where(journals.c.idempotency_key == sa.bindparam("k"))
# One round trip before any lock: the journal already under the key (if any) and the accounts the
# legs name, with their counters (used as-is on SQLite, where BEGIN IMMEDIATE already serializes
# writers; PostgreSQL re-reads the limited ones under lock). A journal row carries its state in
# ``b`` and its body digest in ``a``.
_PRECHECK = {
    pg: sa.union_all(
        sa.select(sa.literal("a").label("what"), accounts.c.id, accounts.c.asset.label("a"), accounts.c.limit_flag.label("b"),
                  accounts.c.closed_at.is_not(None).label("closed"), *(accounts.c[n] for n in store.COUNTERS))
        .where(dml.id_in(accounts.c.id, "ids", postgres=pg)),
        sa.select(sa.literal("j"), journals.c.id, journals.c.body_sha256, journals.c.state, sa.false(),
                  *(sa.null() for _ in store.COUNTERS))
        .where(journals.c.idempotency_key == sa.bindparam("k")),
    )
    for pg in (True, False)
}


def new_journal(spec: JournalSpec, now: datetime) -> Journal:
    return Journal(
        id=spec.journal_id or new_id(now), idempotency_key=spec.idempotency_key, kind=spec.kind,
        state=JournalState.PENDING if spec.pending else JournalState.POSTED, legs=tuple(spec.legs),
        kiosk=spec.kiosk, farmer=spec.farmer, remote_ref=spec.remote_ref, memo=spec.memo, created_at=now,
        expires_at=now + spec.timeout if spec.timeout is not None else None,
        finalized_at=None if spec.pending else now, reason=None,
    )


def journal_row(journal: Journal, digest: str) -> dict[str, Any]:
    return {
        "id": journal.id, "idempotency_key": journal.idempotency_key, "body_sha256": digest, "kind": journal.kind.value,
        "state": journal.state.value, "kiosk": journal.kiosk, "farmer": journal.farmer, "remote_ref": journal.remote_ref,
        "memo": store.memo_text(journal.memo), "created_at": journal.created_at, "expires_at": journal.expires_at,
        "finalized_at": journal.finalized_at, "reason": journal.reason,
    }


def leg_rows(journal: Journal, *, text_ids: bool = False) -> list[dict[str, Any]]:
    """The legs as rows; ``text_ids`` gives the ids as text, for JSON parameters (PostgreSQL)."""
    ident: Any = str if text_ids else (lambda u: u)
    journal_id = ident(journal.id)
    return [
        {"journal_id": journal_id, "idx": i, "debit_account_id": ident(leg.debit), "credit_account_id": ident(leg.credit),
         "asset": leg.asset, "amount": leg.amount}
        for i, leg in enumerate(journal.legs)
    ]


def replayed(session: Session, spec: JournalSpec, digest: str, journal_id: uuid.UUID, state: str,
             body_sha256: str) -> JournalResult:
    """The result of a spec whose key exists: the first journal as it stands, or a conflict."""
    if body_sha256 != digest:
        raise IdempotencyConflict(spec.idempotency_key, journal_id)
    touched = store.load_accounts(session.connection(), {a for leg in spec.legs for a in (leg.debit, leg.credit)})
    limited = [a.id for a in touched.values() if a.limited]
    return JournalResult(journal_id, JournalState(state), balances(session, limited), replayed=True)


def _precheck(conn: sa.Connection, spec: JournalSpec) -> tuple[Any | None, dict[uuid.UUID, AccountFacts], dict[uuid.UUID, Counters]]:
    ids = sorted({a for leg in spec.legs for a in (leg.debit, leg.credit)}, key=id_order)
    existing, facts, counters = None, {}, {}
    for row in conn.execute(_PRECHECK[store.is_postgres(conn)], {"ids": ids, "k": spec.idempotency_key}):
        what, account_id, a, b, closed, *c = row
        if what == "j":
            existing = row
        else:
            facts[account_id] = AccountFacts(account_id, a, Limit(b), bool(closed))
            counters[account_id] = Counters(*c)
    return existing, facts, counters


def lock_limited(conn: sa.Connection, deltas: Mapping[uuid.UUID, Counters], *, new_journal: bool) -> dict[uuid.UUID, Counters]:
    """Lock the limited accounts of ``deltas`` (ascending ids) and return their counters. A new
    journal re-checks under the lock that none was closed meanwhile."""
    locked = store.lock_counters(conn, deltas)
    for account_id, (_, closed_at) in locked.items():
        if new_journal and closed_at is not None:
            raise AccountClosed(account_id)
    return {k: c for k, (c, _) in locked.items()}


@dataclass(frozen=True)
class Prepared:
    """Everything of a new journal that needs no database: built before the transaction takes
    any lock, so concurrent writers wait on each other for as short a time as possible."""

    journal: Journal
    digest: str
    deltas: dict[uuid.UUID, Counters]
    entry: dict[str, Any]


def prepare(spec: JournalSpec, now: datetime) -> Prepared:
    journal = new_journal(spec, now)
    entry_id = new_id(now)
    entry = {
        "id": entry_id, "kind": EntryKind.JOURNAL_SUBMITTED.value, "journal_id": journal.id, "created_at": now,
        "body": journal_entry(entry_id, EntryKind.JOURNAL_SUBMITTED, now, journal),
    }
    return Prepared(journal, spec_digest(spec), leg_deltas(spec.legs, pending=spec.pending), entry)


def submit(session: Session, spec: JournalSpec, *, now: datetime) -> JournalResult:
    """Record ``spec``: posted at once, or pending when ``spec.pending``. A key seen before with the
    same body returns the first journal (``replayed``); another body raises IdempotencyConflict."""
    check_time("now", now)
    if not isinstance(spec, JournalSpec):
        raise TypeError("submit takes a JournalSpec")
    p = prepare(spec, now)
    conn = session.connection()
    if store.is_postgres(conn):
        result = _submit_in_one_statement(session, conn, spec, p)
        if result is not None:
            return result
    # SQLite; or PostgreSQL after the one statement refused: check again step by step, in the same
    # transaction (nothing was written), and raise the named error, replay, or write after all.
    existing, facts, counters = _precheck(conn, spec)
    if existing is not None:
        return replayed(session, spec, p.digest, existing.id, existing.b, existing.a)
    check_accounts(spec.legs, facts)
    limited, sinks = store.split_by_limit(p.deltas, facts)
    write = dml.NewJournalWrite(
        conn, journal_row(p.journal, p.digest), leg_rows(p.journal),
        store.sink_delta_rows(p.journal.id, store.SUBMIT_PHASE, sinks), [p.entry], store.counter_tuples(limited),
    )
    new = apply_with_limits(counters, limited, facts)  # current on SQLite; optimistic on PostgreSQL
    if store.is_postgres(conn):
        written = _write_locked(conn, write, limited, facts, counters)
    else:  # BEGIN IMMEDIATE already made this transaction the only writer
        written = new if write.execute(conn, _insert_journal_row) else None
    if written is None:
        return _twin(session, spec, p)
    _log_submitted(p.journal)
    return JournalResult(p.journal.id, p.journal.state, balances_of(facts, written))


def _submit_in_one_statement(session: Session, conn: sa.Connection, spec: JournalSpec, p: Prepared) -> JournalResult | None:
    """PostgreSQL's usual path: check and write in one statement with no read before it
    (``dml._PG_SUBMIT``). None when it refused (an unknown, closed or mismatched account, a limit,
    or a key seen before): nothing was written and the careful path finds out which."""
    deltas = [(k, (d.debits_posted, d.credits_posted, d.debits_pending, d.credits_pending)) for k, d in p.deltas.items()]
    outcome = dml.submit_in_one_statement(conn, journal_row(p.journal, p.digest), leg_rows(p.journal, text_ids=True), [p.entry], deltas)
    if outcome.inserted:
        _log_submitted(p.journal)
        new = {k: Balance(k, asset, Limit(flag), *c) for k, (asset, flag, *c) in outcome.limited.items()}
        return JournalResult(p.journal.id, p.journal.state, new)
    return _twin(session, spec, p) if outcome.fine else None


def _log_submitted(journal: Journal) -> None:
    store.log.info("event=journal_submitted journal=%s kind=%s state=%s legs=%d", journal.id, journal.kind, journal.state, len(journal.legs))


def _write_locked(conn: sa.Connection, write: dml.NewJournalWrite, limited: dict[uuid.UUID, Counters],
                  facts: Mapping[uuid.UUID, AccountFacts], read: Mapping[uuid.UUID, Counters]) -> dict[uuid.UUID, Counters] | None:
    """PostgreSQL: lock, check and write in one statement (``dml._PG_ONE_STATEMENT``). If a
    concurrent writer spent or closed an account since our first read, nothing was written and
    the locked counters tell which named refusal to raise. None: a concurrent twin took the key."""
    outcome = write.execute_locked(conn)
    if outcome.inserted:
        after = {k: Counters(*v) for k, v in outcome.after.items() if v is not None}
        return {k: after[k] if k in after else read[k] + limited[k] for k in limited}  # unlocked: a zero net change
    if outcome.fine:
        return None
    if outcome.closed:
        raise AccountClosed(min(outcome.closed, key=id_order))
    locked = {k: Counters(*v) for k, v in outcome.before.items()}
    apply_with_limits({**read, **locked}, limited, facts)  # raises the LimitExceeded the SQL guard saw
    raise ConcurrentSubmission()  # the guard refused what the rules allow: let the caller retry


def _insert_journal_row(conn: sa.Connection, row: Mapping[str, Any]) -> bool:
    return conn.execute(_INSERT_JOURNAL[conn.dialect.name], row).first() is not None


def _twin(session: Session, spec: JournalSpec, p: Prepared) -> JournalResult:
    """The key was taken by a concurrent twin after our precheck: replay it (or conflict)."""
    twin = session.connection().execute(_BY_KEY, {"k": spec.idempotency_key}).first()
    if twin is None:
        raise InvalidInput("journal_id", "sudah dipakai jurnal lain", "already used by another journal")
    return replayed(session, spec, p.digest, twin.id, twin.state, twin.body_sha256)


def balances_of(accounts: Mapping[uuid.UUID, Account | AccountFacts], new: Mapping[uuid.UUID, Counters]) -> dict[uuid.UUID, Balance]:
    return {account_id: store.balance_of(accounts[account_id], c) for account_id, c in new.items()}



