"""A kiosk's day from its posted journals' legs (DESIGN §4 chart; docs/money.md). Pure.

Each leg is classified by the kinds of the two accounts it moves between (``kiosk.chart`` and
``fertilizer.chart``): a debit of the cash drawer is cash coming in, a credit of it cash going out;
a debit of a card balance is the farmer spending, a credit the farmer receiving.

====================================  ==========================================
debit kind -> credit kind             counted as
====================================  ==========================================
card_balance / cash_drawer -> kiosk_sales      fertilizer sold, by tender
kiosk_sales -> card_balance / cash_drawer      refund of a reversed sale, by tender
card_balance / cash_drawer -> bpjs_collection  BPJS contribution, by tender
bpjs_fee_receivable -> agent_fee               agent (penyuluh) fee, by penyuluh
cash_drawer -> card_balance                    cash top-up of a card
retailer_funding -> bpjs_deposit               BPJS deposit funded
bpjs_deposit -> bpjs_host                      BPJS deposit drawn (contributions paid)
kiosk_stock -> stock_sold (KG)                 kg sold; stock_sold -> kiosk_stock: kg returned
stock_supply -> kiosk_stock (KG)               kg received
====================================  ==========================================

Rupiah per product come from the sale's own priced lines (the consent document's amounts, kept with
the checkout; a reversal's memo), and are checked against the ledger's totals (``checks``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

TENDERS = {"card_balance": "card", "cash_drawer": "cash"}
CASH = "cash_drawer"


@dataclass(frozen=True)
class LegFact:
    journal_id: uuid.UUID
    journal_kind: str
    asset: str
    amount: int
    debit_kind: str
    credit_kind: str
    credit_owner: str | None


@dataclass(frozen=True)
class ProductDay:
    product: str
    sales: int
    kg_sold: int
    kg_returned: int
    kg_received: int
    rupiah_sold: int
    rupiah_returned: int

    @property
    def kg_net(self) -> int:
        return self.kg_sold - self.kg_returned

    @property
    def rupiah_net(self) -> int:
        return self.rupiah_sold - self.rupiah_returned


@dataclass(frozen=True)
class EndOfDay:
    kiosk: str
    day: date
    journals: int
    products: tuple[ProductDay, ...]
    sales: int
    sold: Mapping[str, int]  # tender -> rupiah of fertilizer sold
    reversals: int
    refunded: Mapping[str, int]  # tender -> rupiah refunded
    contributions: int
    contributed: Mapping[str, int]  # tender -> rupiah of contributions
    agent_fees: Mapping[str, int]  # penyuluh -> rupiah
    topups: int
    topped_up: int
    deposit_funded: int
    deposit_drawn: int
    cash_opening: int
    cash_in: int
    cash_out: int
    checks: Mapping[str, bool] = field(default_factory=dict)

    @property
    def fertilizer_net(self) -> int:
        return sum(self.sold.values()) - sum(self.refunded.values())

    @property
    def contribution_total(self) -> int:
        return sum(self.contributed.values())

    def paid_by(self, tender: str) -> int:
        return self.sold.get(tender, 0) + self.contributed.get(tender, 0) - self.refunded.get(tender, 0)

    @property
    def cash_expected(self) -> int:
        return self.cash_opening + self.cash_in - self.cash_out

    def to_dict(self) -> dict[str, Any]:
        return {
            "kiosk": self.kiosk, "day": self.day.isoformat(), "journals": self.journals,
            "products": [{"product": p.product, "sales": p.sales, "kg_sold": p.kg_sold, "kg_returned": p.kg_returned,
                          "kg_net": p.kg_net, "kg_received": p.kg_received, "rupiah_sold": p.rupiah_sold,
                          "rupiah_returned": p.rupiah_returned, "rupiah_net": p.rupiah_net} for p in self.products],
            "sales": {"count": self.sales, "by_tender": dict(self.sold), "total": sum(self.sold.values())},
            "reversals": {"count": self.reversals, "by_tender": dict(self.refunded), "total": sum(self.refunded.values())},
            "fertilizer_net": self.fertilizer_net,
            "contributions": {"count": self.contributions, "by_tender": dict(self.contributed),
                              "total": self.contribution_total},
            "agent_fees": {"by_penyuluh": dict(self.agent_fees), "total": sum(self.agent_fees.values())},
            "topups": {"count": self.topups, "total": self.topped_up},
            "bpjs_deposit": {"funded": self.deposit_funded, "drawn": self.deposit_drawn},
            "tender": {"card": self.paid_by("card"), "cash": self.paid_by("cash")},
            "cash": {"opening": self.cash_opening, "in": self.cash_in, "out": self.cash_out,
                     "expected": self.cash_expected},
            "checks": dict(self.checks),
        }


@dataclass
class _Tally:
    money: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    journals: dict[str, set[uuid.UUID]] = field(default_factory=lambda: defaultdict(set))
    kg: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    product_sales: dict[str, set[uuid.UUID]] = field(default_factory=lambda: defaultdict(set))
    cash_in: int = 0
    cash_out: int = 0


def _money(t: _Tally, leg: LegFact) -> None:
    pair = (leg.debit_kind, leg.credit_kind)
    if leg.debit_kind == CASH:
        t.cash_in += leg.amount
    if leg.credit_kind == CASH:
        t.cash_out += leg.amount
    if leg.debit_kind in TENDERS and leg.credit_kind == "kiosk_sales":
        what, key = "sold", TENDERS[leg.debit_kind]
    elif leg.debit_kind == "kiosk_sales" and leg.credit_kind in TENDERS:
        what, key = "refunded", TENDERS[leg.credit_kind]
    elif leg.debit_kind in TENDERS and leg.credit_kind == "bpjs_collection":
        what, key = "contributed", TENDERS[leg.debit_kind]
    elif pair == ("bpjs_fee_receivable", "agent_fee"):
        what, key = "agent_fees", leg.credit_owner or "?"
    elif pair == ("cash_drawer", "card_balance"):
        what, key = "topped_up", "cash"
    elif pair == ("retailer_funding", "bpjs_deposit"):
        what, key = "deposit_funded", "all"
    elif pair == ("bpjs_deposit", "bpjs_host"):
        what, key = "deposit_drawn", "all"
    else:
        return
    t.money[what][key] += leg.amount
    t.journals[what].add(leg.journal_id)


def _kilograms(t: _Tally, leg: LegFact) -> None:
    product = leg.asset.removeprefix("KG:")
    pair = (leg.debit_kind, leg.credit_kind)
    if pair == ("kiosk_stock", "stock_sold"):
        t.kg[(product, "sold")] += leg.amount
        t.product_sales[product].add(leg.journal_id)
        t.journals["sales"].add(leg.journal_id)
    elif pair == ("stock_sold", "kiosk_stock"):
        t.kg[(product, "returned")] += leg.amount
    elif pair == ("stock_supply", "kiosk_stock"):
        t.kg[(product, "received")] += leg.amount


def _products(t: _Tally, amounts: Mapping[uuid.UUID, Mapping[str, int]], reversal_ids: set[uuid.UUID],
              order: Iterable[str]) -> tuple[ProductDay, ...]:
    rupiah: dict[tuple[str, str], int] = defaultdict(int)
    for journal_id, lines in amounts.items():
        side = "returned" if journal_id in reversal_ids else "sold"
        for product, amount in lines.items():
            rupiah[(product, side)] += amount
    names = {p for p, _ in t.kg} | {p for p, _ in rupiah}
    ranked = [p for p in order if p in names] + sorted(names - set(order))
    return tuple(ProductDay(p, len(t.product_sales[p]), t.kg[(p, "sold")], t.kg[(p, "returned")], t.kg[(p, "received")],
                            rupiah[(p, "sold")], rupiah[(p, "returned")]) for p in ranked)


def summarize(kiosk: str, day: date, legs: Iterable[LegFact], amounts: Mapping[uuid.UUID, Mapping[str, int]], *,
              cash_opening: int, product_order: Iterable[str] = ()) -> EndOfDay:
    """The day of ``kiosk`` from its posted journals' legs; ``amounts``: each sale's and reversal's
    rupiah per product (by journal id)."""
    t = _Tally()
    journals: set[uuid.UUID] = set()
    reversal_ids: set[uuid.UUID] = set()
    for leg in legs:
        journals.add(leg.journal_id)
        if leg.journal_kind == "reversal":
            reversal_ids.add(leg.journal_id)
        (_kilograms if leg.asset.startswith("KG:") else _money)(t, leg)
    products = _products(t, amounts, reversal_ids, list(product_order))
    m = t.money
    checks = {"products_match_sales": sum(p.rupiah_sold for p in products) == sum(m["sold"].values()),
              "products_match_refunds": sum(p.rupiah_returned for p in products) == sum(m["refunded"].values())}
    return EndOfDay(
        kiosk, day, len(journals), products, len(t.journals["sales"]), dict(m["sold"]), len(t.journals["refunded"]),
        dict(m["refunded"]), len(t.journals["contributed"]), dict(m["contributed"]), dict(m["agent_fees"]),
        len(t.journals["topped_up"]), m["topped_up"].get("cash", 0), m["deposit_funded"].get("all", 0),
        m["deposit_drawn"].get("all", 0), cash_opening, t.cash_in, t.cash_out, checks)
