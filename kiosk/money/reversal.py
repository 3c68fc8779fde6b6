"""A supervisor's same-day reversal of a posted sale (issue 9; DESIGN §4 journal kind ``reversal``).

One ``reversal`` journal gives back what the sale took, and only that:

* money: ``sales:<kiosk>`` -> the tender it came from (``card:<farmer>`` or ``cash:<kiosk>``: the
  cash leaves the drawer), for the fertilizer total;
* quota and stock: ``fertilizer.reversal_legs`` (redeemed -> quota, sold -> stock) per product sold.

A BPJS contribution paid in the same swipe is **never** reversed: BPJS booked it, the farmer is
covered, so the contribution, deposit and agent-fee legs of the sale stand (the receipt says so).
Refused: not the same WITA day as the sale's posting, not a completed sale with fertilizer, or a
second reversal (``already_reversed``). Idempotent: the same request key and reason replays the
first answer and writes nothing. The reversal is recorded in ``sale_reversals`` and, like every
journal, in the audit log (its memo names the supervisor and the reason).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

import fertilizer
import ledger
from fertilizer import WITA, KeyStore
from kiosk import chart
from kiosk.checkout.schema import CheckoutRow
from kiosk.checkout.states import State
from kiosk.money import facts, prints
from kiosk.money.errors import BadInput, NotFound, Refused, rupiah
from kiosk.money.schema import SaleReversal
from kiosk.receipts import Header, ProductLine, ReversalReceipt, Tender
from ledger import IDR, JournalKind, JournalSpec, Leg

REASON_MIN, REASON_MAX = 5, 200
log = logging.getLogger("kiosk.money")


@dataclass(frozen=True)
class Reversal:
    original_journal_id: uuid.UUID
    reversal_journal_id: uuid.UUID
    checkout_id: uuid.UUID
    kiosk: str
    refund: int
    tender: str
    contribution_kept: int
    replayed: bool

    @property
    def receipt_key(self) -> str:
        return reversal_key(self.reversal_journal_id)


def reversal_key(journal_id: uuid.UUID) -> str:
    return f"reversal:{journal_id}"


def check_reason(reason: object) -> str:
    if not isinstance(reason, str) or not REASON_MIN <= len(reason.strip()) <= REASON_MAX or not reason.isprintable():
        raise BadInput("bad_reason", f"Alasan wajib diisi ({REASON_MIN}-{REASON_MAX} karakter).",
                       f"A reason is required ({REASON_MIN}-{REASON_MAX} characters).", field="reason")
    return reason.strip()


def _of(row: SaleReversal, replayed: bool) -> Reversal:
    return Reversal(row.original_journal_id, row.reversal_journal_id, row.checkout_id, row.kiosk_code, row.refund,
                    row.tender, row.contribution_kept, replayed)


def _sale(session: Session, checkout_id: uuid.UUID) -> tuple[CheckoutRow, ledger.Journal]:
    row = session.get(CheckoutRow, checkout_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotFound("checkout_not_found", "Transaksi tidak ditemukan.", "No such checkout.")
    journal = ledger.journal(session, row.journal_id) if row.journal_id is not None else None
    if row.state is not State.COMPLETED or journal is None or journal.state is not ledger.JournalState.POSTED:
        raise Refused("not_reversible", "Hanya penjualan yang selesai (jurnal POSTED) yang bisa dibatalkan.",
                      "Only a completed sale (POSTED journal) can be reversed.", state=row.state.value)
    return row, journal


def _check_reversible(row: CheckoutRow, journal: ledger.Journal, now: datetime) -> None:
    if not (row.selection or {}).get("lines"):
        raise Refused("nothing_to_reverse", "Transaksi ini hanya iuran BPJS; iuran yang sudah dibayar tidak dibatalkan.",
                      "This checkout paid only a BPJS contribution; a paid contribution is never reversed.")
    sold_on = (journal.finalized_at or journal.created_at).astimezone(WITA).date()
    if sold_on != now.astimezone(WITA).date():
        raise Refused("reversal_too_late", "Pembatalan hanya boleh pada hari yang sama (WITA).",
                      "A sale can be reversed only on the same day (WITA).", sold_on=sold_on.isoformat())


def _spec(session: Session, row: CheckoutRow, journal: ledger.Journal, supervisor: str, reason: str,
          now: datetime) -> JournalSpec:
    selection = row.selection or {}
    lines = {ln["product"]: int(ln["kg"]) for ln in selection["lines"]}
    accounts = chart.kiosk_accounts(session, row.kiosk_code, now=now)
    tender = chart.open_one(session, chart.card_balance(row.farmer or ""), now=now) if row.tender == "card" else accounts.cash
    legs = [Leg(accounts.sales, tender, IDR, row.fertilizer_total)]
    legs += fertilizer.reversal_legs(session, pseudonym=row.farmer or "", season=str(selection["season"]),
                                     outlet_code=row.kiosk_code, lines=lines, now=now)
    memo = {"original": str(journal.id), "checkout": str(row.id), "supervisor": supervisor, "reason": reason,
            "tender": row.tender or "",
            "lines": ";".join(f"{ln['product']}:{ln['kg']}:{ln['price_per_kg']}" for ln in selection["lines"])}
    return JournalSpec(f"reversal:{journal.id}", JournalKind.REVERSAL, legs, kiosk=row.kiosk_code, farmer=row.farmer,
                       memo=memo)


def _submit(session: Session, spec: JournalSpec, now: datetime) -> ledger.JournalResult:
    try:
        return ledger.submit(session, spec, now=now)
    except ledger.LimitExceeded as err:
        raise Refused("refund_short", f"Uang di laci kurang {rupiah(err.shortfall)} untuk pengembalian tunai.",
                      f"The cash drawer is {rupiah(err.shortfall)} short for the cash refund.",
                      shortfall=err.shortfall) from None


def reverse_sale(session: Session, keys: KeyStore, *, checkout_id: uuid.UUID, supervisor: str, reason: object,
                 key: str, now: datetime) -> Reversal:
    """Reverse a completed sale today; the receipt is recorded (print it after the commit)."""
    why = check_reason(reason)
    row, journal = _sale(session, checkout_id)
    done = session.get(SaleReversal, journal.id)
    if done is not None:
        if done.request_key == key and done.reason == why:
            return _of(done, True)
        raise Refused("already_reversed", "Penjualan ini sudah dibatalkan.", "This sale was already reversed.",
                      reversal=str(done.reversal_journal_id))
    _check_reversible(row, journal, now)
    result = _submit(session, _spec(session, row, journal, supervisor, why, now), now)
    done = SaleReversal(original_journal_id=journal.id, reversal_journal_id=result.journal_id, checkout_id=row.id,
                        kiosk_code=row.kiosk_code, supervisor=supervisor, reason=why, request_key=key,
                        tender=row.tender or "", refund=row.fertilizer_total, contribution_kept=row.contribution,
                        created_at=now)
    session.add(done)
    session.flush()
    receipt = _receipt(session, keys, row, result, supervisor, why, now)
    prints.record(session, reversal_key(result.journal_id), receipt, kiosk=row.kiosk_code, farmer=row.farmer, now=now,
                  checkout_id=row.id)
    log.info("event=sale_reversed original=%s reversal=%s kiosk=%s refund=%d tender=%s contribution_kept=%d",
             journal.id, result.journal_id, row.kiosk_code, row.fertilizer_total, row.tender, row.contribution)
    return _of(done, False)


def _receipt(session: Session, keys: KeyStore, row: CheckoutRow, result: ledger.JournalResult, supervisor: str,
             reason: str, now: datetime) -> ReversalReceipt:
    selection = row.selection or {}
    header = Header(facts.kiosk_of(session, row.kiosk_code), now, facts.person_name(session, row.operator),
                    facts.farmer_of(session, keys, row.farmer or ""), facts.proof_of(session, result.journal_id))
    products = tuple(ProductLine(fertilizer.product(ln["product"]).name, int(ln["kg"]), int(ln["price_per_kg"]))
                     for ln in selection["lines"])
    quota = facts.quota_left(session, row.farmer or "", str(selection["season"]),
                             [ln["product"] for ln in selection["lines"]])
    balance = None
    if row.tender == "card":
        card = chart.open_one(session, chart.card_balance(row.farmer or ""), now=now)
        balance = result.balances[card].available
    tender = Tender.CARD_BALANCE if row.tender == "card" else Tender.CASH
    return ReversalReceipt(header, row.journal_id or uuid.UUID(int=0), facts.person_name(session, supervisor), reason,
                           products, tender, row.contribution, quota, balance)
