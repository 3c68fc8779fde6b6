"""The checkout's receipt: assembled from the posted journal, printed through the device agent.

Called by the runner after the move to COMPLETED (and by the worker for a completed checkout whose
receipt was never recorded: a process that died in between, a supervisor's resolution). Printing
never changes the checkout's outcome: every failure is recorded on the receipt (``receipt_prints``)
and shown to the operator, and the sale stands.

The receipt (docs/receipts.md) names the kiosk, the time the journal posted (WITA), the operator,
the farmer (name and masked NIK), each product ``kg x HET = Rp``, the BPJS months with the new
paid-through month and KPJ, the penyuluh, the total, the tender, the quota left, the card balance
left (card tender), "fertilizer released" (the journal is POSTED) and a QR with the journal id and
the audit leaf hash of its posting. Print key: ``sale:<journal id>`` (also for a contribution
alone), so it never prints twice.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

import fertilizer
import ledger
from fertilizer import KeyStore
from kiosk.checkout import store
from kiosk.checkout.ports import CheckoutDeps
from kiosk.checkout.schema import CheckoutRow
from kiosk.checkout.states import State
from kiosk.money import facts, prints
from kiosk.money.core import card_balance
from kiosk.money.errors import Refused
from kiosk.money.schema import ReceiptPrint
from kiosk.receipts import (
    Contribution,
    ContributionReceipt,
    Header,
    ProductLine,
    Receipt,
    SaleReceipt,
    Tender,
    YearMonth,
)

log = logging.getLogger("kiosk.checkout")
MISSING_LOOKBACK = timedelta(days=2)


def sale_key(journal_id: uuid.UUID) -> str:
    return f"sale:{journal_id}"


def _contribution(row: CheckoutRow) -> Contribution | None:
    months = list((row.selection or {}).get("months", []))
    if not row.contribution or not months:
        return None
    year, month = (int(part) for part in str(months[0]).split("-"))
    return Contribution(row.kpj or "", len(months), row.contribution // len(months), YearMonth(year, month))


def _header(session: Session, keys: KeyStore, row: CheckoutRow, posted_at: datetime, journal_id: uuid.UUID) -> Header:
    return Header(facts.kiosk_of(session, row.kiosk_code), posted_at, facts.person_name(session, row.operator),
                  facts.farmer_of(session, keys, row.farmer or ""), facts.proof_of(session, journal_id))


def checkout_receipt(session: Session, keys: KeyStore, row: CheckoutRow) -> Receipt:
    """The receipt of a COMPLETED checkout whose journal is POSTED (refused otherwise)."""
    journal = ledger.journal(session, row.journal_id) if row.journal_id is not None else None
    if journal is None or journal.state is not ledger.JournalState.POSTED or journal.finalized_at is None:
        raise Refused("journal_not_posted", "Struk hanya untuk jurnal yang sudah POSTED.",
                      "A receipt is printed only for a POSTED journal.", checkout=str(row.id))
    header = _header(session, keys, row, journal.finalized_at, journal.id)
    selection: dict[str, Any] = row.selection or {}
    tender = Tender.CARD_BALANCE if row.tender == "card" else Tender.CASH
    agent = facts.penyuluh_name(session, (row.decision or {}).get("agent"))
    balance = card_balance(session, row.farmer or "") if tender is Tender.CARD_BALANCE else None
    contribution = _contribution(row)
    lines = selection.get("lines", [])
    if not lines:
        if contribution is None:
            raise Refused("nothing_to_print", "Transaksi tanpa pupuk dan tanpa iuran.", "A checkout with nothing paid.")
        return ContributionReceipt(header, contribution, tender, agent, balance)
    products = tuple(ProductLine(fertilizer.product(ln["product"]).name, int(ln["kg"]), int(ln["price_per_kg"]))
                     for ln in lines)
    quota = facts.quota_left(session, row.farmer or "", str(selection["season"]), [ln["product"] for ln in lines])
    return SaleReceipt(header, products, tender, contribution, agent, quota, balance, released=True)


def print_completed(deps: CheckoutDeps, checkout_id: uuid.UUID) -> prints.ReceiptStatus | None:
    """Record and print a COMPLETED checkout's receipt once. Never raises: printing does not
    change the checkout's outcome (a failure is logged and left for the worker and the operator)."""
    try:
        with deps.sessions.begin() as s:
            row = store.load(s, checkout_id)
            if row.state is not State.COMPLETED or row.journal_id is None:
                return None
            key = sale_key(row.journal_id)
            found = s.get(ReceiptPrint, key)
            if found is not None and found.state in ("printed", "queued"):
                return prints.status_of(found)
            if found is None:
                prints.record(s, key, checkout_receipt(s, deps.keys, row), kiosk=row.kiosk_code, farmer=row.farmer,
                              now=deps.now(), checkout_id=row.id)
        return prints.deliver(deps.sessions, deps.agent, deps.keys, key, now=deps.now)
    except Exception:
        log.exception("event=receipt_failed checkout=%s", checkout_id)
        return None


def print_missing(deps: CheckoutDeps, *, limit: int = 20) -> int:
    """The worker's job: completed checkouts (recent) without a receipt record get one and print."""
    since = deps.now() - MISSING_LOOKBACK
    with deps.sessions() as s:
        has_receipt = sa.select(ReceiptPrint.key).where(ReceiptPrint.checkout_id == CheckoutRow.id).exists()
        ids = list(s.scalars(sa.select(CheckoutRow.id).where(CheckoutRow.state == State.COMPLETED,
                                                             CheckoutRow.updated_at >= since, ~has_receipt)
                             .order_by(CheckoutRow.updated_at).limit(limit)))
    return sum(1 for checkout_id in ids if print_completed(deps, checkout_id) is not None)


def receipt_view(session: Session, row: CheckoutRow) -> dict[str, Any] | None:
    """What the checkout view says about its receipt: printed / queued / unsent / failed + messages."""
    if row.journal_id is None or row.state is not State.COMPLETED:
        return None
    found = session.get(ReceiptPrint, sale_key(row.journal_id))
    if found is None:
        return {"state": "pending", "key": sale_key(row.journal_id), "message_id": prints.WAITING[0],
                "message_en": prints.WAITING[1], "copies": 0}
    return prints.status_of(found).to_dict() | {"copies": prints.copies_of(session, found.key)}
