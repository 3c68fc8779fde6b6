"""The kilogram legs of a sale and of its same-day reversal, for the checkout's one journal.

A sale of ``kg`` of product ``P`` by farmer ``F`` at outlet ``O`` in season ``S`` is two legs:
``quota:F:P:S -> redeemed:P:S`` and ``stock:O:P -> sold:O:P``. The ledger's limits on the quota
and stock accounts (pending debits counted) refuse a journal that would take either below zero.
A reversal is the mirror image (``redeemed -> quota``, ``sold -> stock``); the caller (the
checkout) reverses only what its own posted journal sold. Services take a ``Session`` and never
commit; the sink accounts are opened idempotently on first use.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

import ledger
from fertilizer import chart
from fertilizer.clock import require_aware
from fertilizer.errors import QuotaError, StockError
from fertilizer.quotas import quota_accounts
from fertilizer.stock import stock_accounts


def _accounts(session: Session, pseudonym: str, season: str, outlet_code: str,
              products: list[str]) -> tuple[dict[str, uuid.UUID], dict[str, uuid.UUID]]:
    quotas = quota_accounts(session, pseudonym, season, products)
    missing = [p for p in products if p not in quotas]
    if missing:
        raise QuotaError("no_quota", f"Petani tidak punya kuota {', '.join(missing)} di musim {season}.",
                         f"The farmer has no {', '.join(missing)} quota in season {season}.",
                         pseudonym=pseudonym, season=season, products=missing)
    stock = stock_accounts(session, outlet_code)
    missing = [p for p in products if p not in stock]
    if missing:
        raise StockError("no_stock", f"Kios {outlet_code} belum pernah menerima stok {', '.join(missing)}.",
                         f"Outlet {outlet_code} never received {', '.join(missing)} stock.",
                         outlet=outlet_code, products=missing)
    return quotas, stock


def _sinks(session: Session, season: str, outlet_code: str, products: list[str], now: datetime) -> list[ledger.Account]:
    specs = [s for p in products for s in (chart.redeemed_spec(p, season), chart.sold_spec(outlet_code, p))]
    return ledger.open_accounts(session, specs, now=now)


def redemption_legs(session: Session, *, pseudonym: str, season: str, outlet_code: str, lines: Mapping[str, int],
                    now: datetime) -> list[ledger.Leg]:
    """The KG legs of a sale: per product (catalogue order) quota -> redeemed, stock -> sold.

    Refused with ``no_quota`` (QuotaError) when the farmer has no quota account for a product in
    ``season``, ``no_stock`` (StockError) when the outlet never received it; whether enough is left
    is the ledger's limit check when the journal is submitted.
    """
    require_aware(now, "now")
    chart.check_season(season)
    kg = chart.check_lines(lines)
    products = list(kg)
    quotas, stock = _accounts(session, pseudonym, season, outlet_code, products)
    sinks = iter(_sinks(session, season, outlet_code, products, now))
    legs: list[ledger.Leg] = []
    for p in products:
        redeemed, sold, asset = next(sinks), next(sinks), ledger.kg_asset(p)
        legs += [ledger.Leg(quotas[p], redeemed.id, asset, kg[p]), ledger.Leg(stock[p], sold.id, asset, kg[p])]
    return legs


def reversal_legs(session: Session, *, pseudonym: str, season: str, outlet_code: str, lines: Mapping[str, int],
                  now: datetime) -> list[ledger.Leg]:
    """The mirror image of :func:`redemption_legs` (issue 9, same-day reversal): per product
    redeemed -> quota and sold -> stock, giving the farmer's quota and the kiosk's stock back."""
    return [ledger.Leg(leg.credit, leg.debit, leg.asset, leg.amount)
            for leg in redemption_legs(session, pseudonym=pseudonym, season=season, outlet_code=outlet_code,
                                       lines=lines, now=now)]
