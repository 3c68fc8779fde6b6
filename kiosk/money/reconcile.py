"""Daily reconciliation of the ledger with BPJS's settlement list (DESIGN §4, §11; docs/money.md).

``run(sessions, bpjs, day, ...)`` asks BPJS for the day's settlement (and the day before, for
payments booked just before midnight), then, in one transaction, matches it with the ledger
(:mod:`kiosk.money.reconcile_core`), stores the run and its lines (append-only) and opens a
reconciliation exception for every difference not already open. BPJS is asked outside any database
transaction. Supervisors resolve an exception with a reason; the resolution is an audit entry
(``ledger.append_entry``). ``csv_lines`` exports a run.

The ledger side of a payment is the journal whose ``remote_ref`` is the request id; what BPJS drew
is its legs into ``bpjs:host`` (from the kiosk's BPJS deposit).
"""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

import ledger
from bpjs_link import Settlement
from kiosk import chart
from kiosk.money.errors import BadInput, NotFound, Refused
from kiosk.money.reconcile_core import (
    HostPayment,
    LedgerPayment,
    Line,
    Status,
    counts,
    reconcile,
)
from kiosk.money.schema import (
    Reconciliation,
    ReconciliationException,
    ReconciliationLine,
)
from ledger.schema import accounts as ledger_accounts
from ledger.schema import journals as ledger_journals

WIB = timezone(timedelta(hours=7), "WIB")  # BPJS's settlement days are WIB days (docs/bpjs.md)
OPENED_ENTRY, RESOLVED_ENTRY = "kiosk.reconciliation_exception_opened", "kiosk.reconciliation_resolved"
log = logging.getLogger("kiosk.money")
CSV_HEADER = ("day", "status", "request_id", "journal_id", "ledger_state", "kiosk", "kpj", "bpjs_reference",
              "host_amount", "ledger_amount", "difference", "paid_at")


class SettlementSource(Protocol):
    """What reconciliation needs of BPJS (``bpjs_link.BpjsClient`` is one)."""

    def settlement(self, day: date) -> Settlement: ...


@dataclass(frozen=True)
class Run:
    reconciliation: Reconciliation
    lines: tuple[Line, ...]
    opened: int  # exceptions opened by this run


def wib_window(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), WIB)
    return start, start + timedelta(days=1)


def _host(settlement: Settlement) -> list[HostPayment]:
    return [HostPayment(p.request_id, p.reference, p.kpj, p.months, p.amount, p.paid_at) for p in settlement.payments]


def _host_account(session: Session) -> uuid.UUID | None:
    found = ledger.account_by_key(session, chart.BPJS_HOST.key)
    return found.id if found is not None else None


def _payment(journal: ledger.Journal, host_account: uuid.UUID | None) -> LedgerPayment:
    amount = sum(leg.amount for leg in journal.legs if leg.credit == host_account)
    return LedgerPayment(journal.remote_ref or str(journal.id), journal.id, journal.kiosk, amount, journal.state.value)


def ours_by_request(session: Session, request_ids: Iterable[str]) -> dict[str, LedgerPayment]:
    host_account = _host_account(session)
    out: dict[str, LedgerPayment] = {}
    for request_id in request_ids:
        found = ledger.journals_by_remote_ref(session, request_id)
        posted = [j for j in found if j.state is ledger.JournalState.POSTED]
        if found:
            out[request_id] = _payment((posted or found)[0], host_account)
    return out


def posted_during(session: Session, day: date) -> list[LedgerPayment]:
    """Our BPJS payments (journals with a remote ref) POSTED during the WIB day."""
    start, end = wib_window(day)
    ids = session.execute(sa.select(ledger_journals.c.id).where(
        ledger_journals.c.remote_ref.is_not(None), ledger_journals.c.state == "posted",
        ledger_journals.c.finalized_at >= start, ledger_journals.c.finalized_at < end)).scalars()
    host_account = _host_account(session)
    journals = [j for j in (ledger.journal(session, i) for i in ids) if j is not None]
    return [_payment(j, host_account) for j in journals if any(leg.credit == host_account for leg in j.legs)]


def ledger_deposit_total(session: Session) -> int:
    ids = list(session.execute(sa.select(ledger_accounts.c.id).where(ledger_accounts.c.kind == "bpjs_deposit")).scalars())
    return sum((b.available or 0) for b in ledger.balances(session, ids).values()) if ids else 0


def _open_exceptions(session: Session, run: Reconciliation, lines: list[Line], now: datetime) -> int:
    opened = 0
    for line in lines:
        if line.status is Status.MATCHED:
            continue
        if line.status is Status.MISSING_IN_LEDGER and line.ledger_state == "pending":
            # BPJS booked it and our journal waits for the worker to POST it (a payment in flight, or
            # today's): the checkout's own exception queue takes a journal stuck that long; a later
            # run matches it. Shown on the line, no reconciliation exception.
            continue
        exists = session.scalar(sa.select(ReconciliationException.id).where(
            ReconciliationException.request_id == line.request_id, ReconciliationException.kind == line.status.value))
        if exists is not None:
            continue
        row = ReconciliationException(
            id=ledger.new_journal_id(now), day=run.day, kind=line.status.value, request_id=line.request_id,
            journal_id=line.journal_id, kiosk_code=line.kiosk, bpjs_reference=line.reference,
            host_amount=line.host_amount, ledger_amount=line.ledger_amount, reconciliation_id=run.id, opened_at=now)
        session.add(row)
        ledger.append_entry(session, OPENED_ENTRY, {
            "exception": str(row.id), "day": run.day.isoformat(), "kind": row.kind, "request_id": row.request_id,
            "host_amount": row.host_amount, "ledger_amount": row.ledger_amount}, now=now)
        opened += 1
    return opened


def record(session: Session, day: date, host: Settlement, previous: Settlement, *, actor: str, now: datetime) -> Run:
    """Match, store the run with its lines, open exceptions (in the caller's transaction)."""
    payments = _host(host)
    lines = reconcile(payments, ours_by_request(session, [p.request_id for p in payments]), posted_during(session, day),
                      [p.request_id for p in previous.payments])
    tally = counts(lines)
    ours = [ln for ln in lines if ln.ledger_amount is not None and ln.ledger_state == "posted"]
    run = Reconciliation(
        id=ledger.new_journal_id(now), day=day, run_at=now, actor=actor[:96], host_count=len(payments),
        host_total=sum(p.amount for p in payments), ledger_count=len(ours),
        ledger_total=sum(ln.ledger_amount or 0 for ln in ours), matched=tally["matched"],
        amount_mismatch=tally["amount_mismatch"], missing_in_ledger=tally["missing_in_ledger"],
        missing_at_host=tally["missing_at_host"], host_deposit_balance=host.deposit_balance,
        ledger_deposit_balance=ledger_deposit_total(session))
    session.add(run)
    session.flush()
    session.add_all([ReconciliationLine(
        reconciliation_id=run.id, seq=i, status=ln.status.value, request_id=ln.request_id, journal_id=ln.journal_id,
        ledger_state=ln.ledger_state, kiosk_code=ln.kiosk, kpj=ln.kpj, bpjs_reference=ln.reference,
        host_amount=ln.host_amount, ledger_amount=ln.ledger_amount, paid_at=ln.paid_at) for i, ln in enumerate(lines)])
    opened = _open_exceptions(session, run, lines, now)
    session.flush()
    log.info("event=reconciliation_run day=%s run=%s matched=%d amount_mismatch=%d missing_in_ledger=%d "
             "missing_at_host=%d opened=%d", day, run.id, run.matched, run.amount_mismatch, run.missing_in_ledger,
             run.missing_at_host, opened)
    return Run(run, tuple(lines), opened)


def run(sessions: sessionmaker[Session], bpjs: SettlementSource, day: date, *, actor: str,
        now: Callable[[], datetime]) -> Run:
    """Ask BPJS (outside any transaction), then record the run in one transaction."""
    host, previous = bpjs.settlement(day), bpjs.settlement(day - timedelta(days=1))
    with sessions.begin() as s:
        return record(s, day, host, previous, actor=actor, now=now())


def yesterday_wib(now: datetime) -> date:
    return now.astimezone(WIB).date() - timedelta(days=1)


def latest(session: Session, day: date) -> Reconciliation | None:
    return session.scalar(sa.select(Reconciliation).where(Reconciliation.day == day)
                          .order_by(Reconciliation.run_at.desc()).limit(1))


def lines_of(session: Session, run_id: uuid.UUID) -> list[ReconciliationLine]:
    return list(session.scalars(sa.select(ReconciliationLine).where(ReconciliationLine.reconciliation_id == run_id)
                                .order_by(ReconciliationLine.seq)))


def csv_text(run: Reconciliation, lines: list[ReconciliationLine]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for ln in lines:
        diff = (ln.host_amount or 0) - (ln.ledger_amount or 0)
        w.writerow([run.day.isoformat(), ln.status, ln.request_id, ln.journal_id or "", ln.ledger_state or "",
                    ln.kiosk_code or "", ln.kpj or "", ln.bpjs_reference or "",
                    "" if ln.host_amount is None else ln.host_amount, "" if ln.ledger_amount is None else ln.ledger_amount,
                    diff, ln.paid_at.isoformat() if ln.paid_at else ""])
    return out.getvalue()


def open_exceptions(session: Session, *, include_resolved: bool = False) -> list[ReconciliationException]:
    query = sa.select(ReconciliationException).order_by(ReconciliationException.opened_at)
    if not include_resolved:
        query = query.where(ReconciliationException.resolved_at.is_(None))
    return list(session.scalars(query))


def resolve(session: Session, exception_id: uuid.UUID, *, supervisor: str, reason: object, now: datetime) -> ReconciliationException:
    """A supervisor closes an exception with a reason (5-500 characters); an audit entry records it."""
    if not isinstance(reason, str) or not 5 <= len(reason.strip()) <= 500 or not reason.isprintable():
        raise BadInput("bad_reason", "Alasan wajib diisi (5-500 karakter).", "A reason is required (5-500 characters).",
                       field="reason")
    row = session.get(ReconciliationException, exception_id, with_for_update=True)
    if row is None:
        raise NotFound("exception_not_found", "Selisih rekonsiliasi tidak ditemukan.", "No such reconciliation exception.")
    if row.resolved_at is not None:
        raise Refused("already_resolved", "Selisih ini sudah diselesaikan.", "This exception was already resolved.",
                      resolved_by=row.resolved_by)
    row.resolved_at, row.resolved_by, row.resolution = now, supervisor[:64], reason.strip()
    ledger.append_entry(session, RESOLVED_ENTRY, {
        "exception": str(row.id), "day": row.day.isoformat(), "kind": row.kind, "request_id": row.request_id,
        "host_amount": row.host_amount, "ledger_amount": row.ledger_amount, "supervisor": row.resolved_by,
        "reason": row.resolution}, now=now)
    session.flush()
    return row
