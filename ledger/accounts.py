"""Opening, finding and closing accounts. Services: they take a Session and never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from ledger import dml, store
from ledger.entries import EntryKind, account_entry
from ledger.errors import AccountConflict, AccountHasPending, UnknownAccount
from ledger.ids import new_id
from ledger.model import Account, AccountSpec, Limit, check_time
from ledger.queries import balances
from ledger.schema import accounts
from ledger.schema import entries as entries_table

_SQLITE_INSERT_NEW = sqlite.insert(accounts).on_conflict_do_nothing(index_elements=["key"]).returning(accounts.c.id)
_BY_KEYS = sa.select(*store.ACCOUNT_COLUMNS).where(accounts.c.key.in_(sa.bindparam("keys", expanding=True)))


def open_account(
    session: Session, *, key: str, kind: str, asset: str, limit: Limit, owner: str | None = None,
    now: datetime | None = None,
) -> Account:
    """The account named ``key``, opened now if new. Opening again with the same attributes
    returns the existing account; other attributes raise AccountConflict."""
    return open_accounts(session, [AccountSpec(key, kind, asset, limit, owner)], now=now)[0]


def open_accounts(session: Session, specs: Sequence[AccountSpec], *, now: datetime | None = None) -> list[Account]:
    """``open_account`` for many accounts at once (imports), in the order given. All or nothing:
    a conflict raises before anything is written."""
    at = check_time("now", now) if now is not None else datetime.now(UTC)
    conn = session.connection()
    if len(specs) > 50:
        dml.bulk_mode(conn)
    wanted: dict[str, AccountSpec] = {}
    for spec in specs:
        if not isinstance(spec, AccountSpec):
            raise TypeError("open_accounts takes AccountSpec values")
        _check_same(wanted.get(spec.key), spec)
        wanted[spec.key] = spec
    found = _by_keys(conn, list(wanted))
    for key, account in found.items():
        _check_same(account, wanted[key])
    new = [spec for key, spec in wanted.items() if key not in found]
    if new:
        with session.begin_nested():  # a concurrent opener's conflicting account undoes ours too
            found.update(_insert(session.connection(), new, at))  # (the SAVEPOINT is emitted on first use)
            for spec in new:
                _check_same(found[spec.key], spec)
    return [found[spec.key] for spec in specs]


def _check_same(existing: Account | AccountSpec | None, spec: AccountSpec) -> None:
    if existing is None:
        return
    for attribute in ("kind", "asset", "limit", "owner"):
        if getattr(existing, attribute) != getattr(spec, attribute):
            raise AccountConflict(spec.key, attribute)


def _by_keys(conn: sa.Connection, keys: list[str]) -> dict[str, Account]:
    out: dict[str, Account] = {}
    for part in store.chunks(keys):
        for row in conn.execute(_BY_KEYS, {"keys": list(part)}):
            out[row.key] = store.to_account(row)
    return out


def _insert(conn: sa.Connection, specs: list[AccountSpec], at: datetime) -> dict[str, Account]:
    """Insert ``specs`` and write an entry for each account this transaction opened; a key that
    a concurrent transaction took meanwhile is looked up instead. Returns key -> account."""
    new = [Account(new_id(at), spec.key, spec.kind, spec.asset, spec.limit, spec.owner, at, None) for spec in specs]
    rows = [
        {"id": a.id, "key": a.key, "kind": a.kind, "asset": a.asset, "limit_flag": a.limit.value, "owner": a.owner,
         "created_at": at, **{n: 0 for n in store.COUNTERS}}
        for a in new
    ]
    inserted = dml.insert_accounts(conn, rows, _SQLITE_INSERT_NEW)
    out = {a.key: a for a in new if a.id in inserted}
    out.update(_by_keys(conn, [a.key for a in new if a.id not in inserted]))
    entries = []
    for account in out.values():
        if account.id not in inserted:
            continue
        entry_id = new_id(at)
        entries.append({
            "id": entry_id, "kind": EntryKind.ACCOUNT_OPENED.value, "journal_id": None, "created_at": at,
            "body": account_entry(entry_id, EntryKind.ACCOUNT_OPENED, at, account),
        })
    store.insert_rows(conn, entries_table, entries)
    store.log.info("event=accounts_opened count=%d", len(entries))
    return out


def account_by_key(session: Session, key: str) -> Account | None:
    return _by_keys(session.connection(), [key]).get(key)


def get_account(session: Session, account_id: uuid.UUID) -> Account:
    account = store.load_accounts(session.connection(), [account_id]).get(account_id)
    if account is None:
        raise UnknownAccount(account_id)
    return account


def close_account(session: Session, account_id: uuid.UUID, *, now: datetime) -> Account:
    """Close an account: no new journals touch it, its history stays. Refused while journals
    on it are pending. Closing a closed account returns it unchanged."""
    check_time("now", now)
    conn = session.connection()
    account = get_account(session, account_id)
    if account.closed:
        return account
    store.lock_counters(conn, [account_id])
    current = balances(session, [account_id])[account_id]
    if current.debits_pending or current.credits_pending:
        raise AccountHasPending(account_id)
    conn.execute(accounts.update().where(accounts.c.id == account_id).values(closed_at=now))
    closed = get_account(session, account_id)
    entry_id = new_id(now)
    store.write_entry(conn, EntryKind.ACCOUNT_CLOSED.value, now,
                      account_entry(entry_id, EntryKind.ACCOUNT_CLOSED, now, closed), entry_id=entry_id)
    store.log.info("event=account_closed account=%s", account_id)
    return closed
