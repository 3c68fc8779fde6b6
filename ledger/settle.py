"""Posting, voiding and expiring pending journals (DESIGN §4). All legs move together."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger import store
from ledger.entries import EntryKind
from ledger.errors import AlreadyFinal, InvalidInput, UnknownJournal
from ledger.journals import balances_of, lock_limited
from ledger.model import JournalResult, JournalState, check_text, check_time
from ledger.rules import apply_with_limits, settle_deltas
from ledger.schema import journals

EXPIRED_REASON = "expired"


def post(session: Session, journal_id: uuid.UUID, *, now: datetime) -> JournalResult:
    """POST every leg of a pending journal: pending amounts become posted."""
    return _settle(session, journal_id, now, EntryKind.JOURNAL_POSTED, None)


def void(session: Session, journal_id: uuid.UUID, *, reason: str, now: datetime) -> JournalResult:
    """VOID every leg of a pending journal: its pending amounts are released."""
    check_text("reason", reason, optional=False, limit=500)
    return _settle(session, journal_id, now, EntryKind.JOURNAL_VOIDED, reason)


def _settle(session: Session, journal_id: uuid.UUID, now: datetime, kind: EntryKind, reason: str | None) -> JournalResult:
    check_time("now", now)
    conn = session.connection()
    row = conn.execute(store.select_journal(session, lock=True).where(journals.c.id == journal_id)).first()
    if row is None:
        raise UnknownJournal(journal_id)
    if row.state != JournalState.PENDING.value:
        raise AlreadyFinal(journal_id, row.state)
    journal = store.load_journals(conn, [row])[0]
    posting = kind is EntryKind.JOURNAL_POSTED
    accounts = store.load_accounts(conn, {a for leg in journal.legs for a in (leg.debit, leg.credit)})
    limited, sinks = store.split_by_limit(settle_deltas(journal.legs, post=posting), accounts)
    new = apply_with_limits(lock_limited(conn, limited, new_journal=False), limited, accounts)
    state = JournalState.POSTED if posting else JournalState.VOIDED
    done = conn.execute(
        journals.update()
        .where(journals.c.id == journal_id, journals.c.state == JournalState.PENDING.value)
        .values(state=state.value, finalized_at=now, reason=reason)
    )
    if done.rowcount != 1:  # unreachable while the row lock (PG) or BEGIN IMMEDIATE (SQLite) holds
        raise AlreadyFinal(journal_id, "changed concurrently")
    final = replace(journal, state=state, finalized_at=now, reason=reason)
    store.append_sink_deltas(conn, journal_id, store.SETTLE_PHASE, sinks)
    store.add_counters(conn, limited)
    store.write_journal_entry(conn, kind, now, final)
    store.log.info("event=%s journal=%s", kind.value.replace(".", "_"), journal_id)
    return JournalResult(journal_id, state, balances_of(accounts, new))


def expire_pending(session: Session, *, now: datetime, limit: int = 500) -> list[uuid.UUID]:
    """Void the pending local journals whose timeout has passed (oldest first, at most ``limit``).
    Journals marked remote never expire here: only a final BPJS answer or a supervisor ends them."""
    check_time("now", now)
    if type(limit) is not int or limit < 1:
        raise InvalidInput("limit", "minimal 1", "at least 1")
    due = session.connection().execute(
        sa.select(journals.c.id)
        .where(journals.c.state == JournalState.PENDING.value, journals.c.remote_ref.is_(None),
               journals.c.expires_at.is_not(None), journals.c.expires_at <= now)
        .order_by(journals.c.expires_at, journals.c.id)
        .limit(limit)
    ).scalars().all()
    expired: list[uuid.UUID] = []
    for journal_id in due:
        try:
            _settle(session, journal_id, now, EntryKind.JOURNAL_EXPIRED, EXPIRED_REASON)
        except AlreadyFinal:
            continue  # posted or voided by someone else since the query: nothing was written
        expired.append(journal_id)
    return expired
