"""Kiosk stock in the ledger: receipts by delivery order (DO) and what is left per product.

A receipt is one ``stock_receipt`` journal ``supply:<outlet>:<P> -> stock:<outlet>:<P>`` with the
idempotency key ``stock_receipt:<DO>``: entering the same DO again with the same outlet, product,
kg and date changes nothing (the first journal is returned, ``replayed``); the same DO with
anything else is a conflict (``delivery_order_conflict``). One DO carries one product. Services
take a ``Session`` and never commit.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime

from sqlalchemy.orm import Session

import ledger
from fertilizer import chart
from fertilizer.catalogue import product
from fertilizer.clock import require_aware, to_wita
from fertilizer.errors import StockError
from fertilizer.registry import outlet

log = logging.getLogger("fertilizer.stock")


def stock_accounts(session: Session, outlet_code: str) -> dict[str, uuid.UUID]:
    """The outlet's stock account per product (products never received are absent)."""
    found = {code: ledger.account_by_key(session, chart.stock_key(outlet_code, code)) for code in chart.CODES}
    return {code: account.id for code, account in found.items() if account is not None}


def stock_left(session: Session, outlet_code: str) -> dict[str, int]:
    """kg on hand per product at the outlet, pending sales counted; products never received absent."""
    accounts = stock_accounts(session, outlet_code)
    if not accounts:
        return {}
    left = ledger.balances(session, accounts.values())
    return {code: left[account_id].available or 0 for code, account_id in accounts.items()}


def _check_receipt(session: Session, outlet_code: str, product_code: str, kg: int, delivered_on: date,
                   now: datetime) -> None:
    shop = outlet(session, outlet_code)
    if not shop.active:
        raise StockError("outlet_inactive", f"Kios {outlet_code} tidak aktif.", f"Outlet {outlet_code} is not active.",
                         outlet=outlet_code)
    product(product_code)
    chart.check_kg("kg", kg)
    if not isinstance(delivered_on, date) or isinstance(delivered_on, datetime):
        raise StockError("bad_delivery_date", "Tanggal terima harus tanggal (YYYY-MM-DD).",
                         "The delivery date must be a date (YYYY-MM-DD).")
    if delivered_on > to_wita(now).date():
        raise StockError("delivery_in_future", "Tanggal terima tidak boleh setelah hari ini (WITA).",
                         "The delivery date cannot be after today (WITA).", delivered_on=delivered_on.isoformat())


def receive_stock(session: Session, *, outlet_code: str, product_code: str, kg: int, delivery_order: str,
                  delivered_on: date, now: datetime) -> ledger.JournalResult:
    """Record a delivery to an outlet's stock (idempotent by delivery order number)."""
    require_aware(now, "now")
    number = chart.check_delivery_order(delivery_order)
    _check_receipt(session, outlet_code, product_code, kg, delivered_on, now)
    try:
        with session.begin_nested():  # a conflict leaves no account opened behind
            supply, stock = ledger.open_accounts(
                session, [chart.supply_spec(outlet_code, product_code), chart.stock_spec(outlet_code, product_code)], now=now)
            spec = ledger.JournalSpec(
                chart.receipt_key(number), ledger.JournalKind.STOCK_RECEIPT,
                [ledger.Leg(supply.id, stock.id, ledger.kg_asset(product_code), kg)], kiosk=outlet_code,
                memo={"delivery_order": number, "delivered_on": delivered_on.isoformat(), "product": product_code},
            )
            result = ledger.submit(session, spec, now=now)
    except ledger.IdempotencyConflict as exc:
        raise StockError(
            "delivery_order_conflict",
            f"DO {number} sudah dicatat dengan kios, produk, jumlah atau tanggal lain; tidak dicatat ulang.",
            f"Delivery order {number} was already recorded with another outlet, product, kg or date; not recorded again.",
            delivery_order=number, journal_id=exc.fields.get("journal_id"),
        ) from exc
    log.info("event=stock_received outlet=%s product=%s kg=%d do=%s replayed=%s", outlet_code, product_code, kg, number,
             result.replayed)
    return result
