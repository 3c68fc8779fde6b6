"""Quotas and stock against a tiny model (STYLE habit 9): allocations (admin and RDKK), receipts
and their replays, sales posted or pending, voids and reversals run on the real database; after
every step the quota and stock left equal the model's and none is below zero."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy.orm import Session, sessionmaker

import ledger
from fertilizer.errors import QuotaError, StockError
from fertilizer.farmers import NewFarmer, register_farmers
from fertilizer.keystore import MemoryKeyStore
from fertilizer.quotas import allocate, quota_left
from fertilizer.rdkk_import import import_rdkk
from fertilizer.redemption import redemption_legs, reversal_legs
from fertilizer.registry import add_reference
from fertilizer.registry_types import OutletRec, ReferenceData
from fertilizer.stock import receive_stock, stock_left
from tests.fertilizer.helpers import rdkk, row
from tests.fertilizer.world import GROUP_A, NOW, SEASON, VILLAGE_A, World, nik

PRODUCTS = ("UREA", "NPK")
_serials = itertools.count(1000)


@dataclass
class Sale:
    key: str
    lines: dict[str, int]
    journal_id: Any
    pending: bool


@dataclass
class Model:
    allocated: dict[str, int] = field(default_factory=dict)  # products with a quota account
    redeemed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PRODUCTS, 0))  # pending included
    stock: dict[str, int] = field(default_factory=dict)  # products with a stock account
    receipts: list[tuple[str, str, int]] = field(default_factory=list)
    sales: list[Sale] = field(default_factory=list)


class QuotaMachine(RuleBasedStateMachine):
    sessions: sessionmaker[Session]
    keys: MemoryKeyStore

    def tx(self, fn: Any) -> Any:
        with self.sessions() as s, s.begin():
            return fn(s)

    @initialize(stocked=st.booleans())
    def a_farmer_and_a_kiosk(self, stocked: bool) -> None:
        self.m, self.n = Model(), next(_serials)
        self.nik, self.outlet = nik(self.n), f"KIOS-{100_000 + self.n}"

        def setup(s: Session) -> str:
            add_reference(s, ReferenceData(outlets=(OutletRec(self.outlet, "Kios Uji", "731201"),)))
            [farmer] = register_farmers(s, self.keys, [NewFarmer(self.nik, "Petani Uji", date(1970, 1, 1), GROUP_A,
                                                                 VILLAGE_A, "731201", 20_000)], now=NOW)
            return farmer.pseudonym

        self.farmer = self.tx(setup)
        if stocked:
            for product in PRODUCTS:
                self.admin_allocation(product, 200)
                self.receipt(product, 250)

    def _set(self, kg: dict[str, int]) -> None:
        for p, v in kg.items():
            if v or p in self.m.allocated:
                self.m.allocated[p] = v

    def _below_redeemed(self, kg: dict[str, int]) -> bool:
        return any(v < self.m.redeemed[p] for p, v in kg.items())

    @rule(product=st.sampled_from(PRODUCTS), kg=st.integers(0, 300))
    def admin_allocation(self, product: str, kg: int) -> None:
        call = lambda s: allocate(s, pseudonym=self.farmer, season=SEASON, kg={product: kg}, now=NOW, actor="a", reason="r")  # noqa: E731
        if self._below_redeemed({product: kg}):
            with pytest.raises(QuotaError):
                self.tx(call)
            return
        self.tx(call)
        self._set({product: kg})

    @rule(urea=st.integers(0, 500), npk=st.integers(0, 500))
    def rdkk_import(self, urea: int, npk: int) -> None:
        lines = rdkk(row(self.nik, name="Petani Uji", born="1970-01-01", land="2", kg=f"{urea},{npk},0,0,0,0"))
        report = self.tx(lambda s: import_rdkk(s, self.keys, lines, season=SEASON, now=NOW))
        wanted = {"UREA": urea, "NPK": npk}
        assert report.ok == (not self._below_redeemed(wanted)) and report.written == report.ok
        if report.ok:
            self._set(wanted)

    @rule(product=st.sampled_from(PRODUCTS), kg=st.integers(1, 300))
    def receipt(self, product: str, kg: int) -> None:
        do = f"DO-{self.n}-{len(self.m.receipts)}"
        self.tx(lambda s: receive_stock(s, outlet_code=self.outlet, product_code=product, kg=kg, delivery_order=do,
                                        delivered_on=date(2026, 12, 1), now=NOW))
        self.m.receipts.append((do, product, kg))
        self.m.stock[product] = self.m.stock.get(product, 0) + kg

    @precondition(lambda self: self.m.receipts)
    @rule(data=st.data(), other_kg=st.booleans())
    def receipt_again(self, data: st.DataObject, other_kg: bool) -> None:
        do, product, kg = data.draw(st.sampled_from(self.m.receipts))
        call = lambda s: receive_stock(s, outlet_code=self.outlet, product_code=product, kg=kg + other_kg,  # noqa: E731
                                       delivery_order=do, delivered_on=date(2026, 12, 1), now=NOW)
        if other_kg:
            with pytest.raises(StockError):
                self.tx(call)
        else:
            assert self.tx(call).replayed

    @rule(products=st.sampled_from([("UREA",), ("NPK",), PRODUCTS]), kg=st.integers(1, 150), pending=st.booleans())
    def sale(self, products: tuple[str, ...], kg: int, pending: bool) -> None:
        lines = {p: kg + i for i, p in enumerate(products)}
        key = f"sale-{self.n}-{next(_serials)}"

        def sell(s: Session) -> ledger.JournalResult:
            legs = redemption_legs(s, pseudonym=self.farmer, season=SEASON, outlet_code=self.outlet, lines=lines, now=NOW)
            return ledger.submit(s, ledger.JournalSpec(key, ledger.JournalKind.REDEMPTION, legs, pending=pending), now=NOW)

        fits = all(p in self.m.allocated and p in self.m.stock and kg <= self.m.allocated[p] - self.m.redeemed[p]
                   and kg <= self.m.stock[p] for p, kg in lines.items())
        if not fits:
            with pytest.raises((ledger.LimitExceeded, QuotaError, StockError)):
                self.tx(sell)
            return
        result = self.tx(sell)
        self.m.sales.append(Sale(key, lines, result.journal_id, pending))
        for p, kg in lines.items():
            self.m.redeemed[p] += kg
            self.m.stock[p] -= kg

    @precondition(lambda self: any(sale.pending for sale in self.m.sales))
    @rule(data=st.data(), post=st.booleans())
    def settle(self, data: st.DataObject, post: bool) -> None:
        sale = data.draw(st.sampled_from([s for s in self.m.sales if s.pending]))
        if post:
            self.tx(lambda s: ledger.post(s, sale.journal_id, now=NOW))
        else:
            self.tx(lambda s: ledger.void(s, sale.journal_id, reason="refused", now=NOW))
            self._give_back(sale)
        sale.pending = False

    @precondition(lambda self: any(not sale.pending for sale in self.m.sales))
    @rule(data=st.data())
    def reversal(self, data: st.DataObject) -> None:
        sale = data.draw(st.sampled_from([s for s in self.m.sales if not s.pending]))
        self.tx(lambda s: ledger.submit(s, ledger.JournalSpec(
            f"rev-{sale.key}", ledger.JournalKind.REVERSAL,
            reversal_legs(s, pseudonym=self.farmer, season=SEASON, outlet_code=self.outlet, lines=sale.lines, now=NOW)),
            now=NOW))
        self._give_back(sale)

    def _give_back(self, sale: Sale) -> None:
        self.m.sales.remove(sale)
        for p, kg in sale.lines.items():
            self.m.redeemed[p] -= kg
            self.m.stock[p] += kg

    @invariant()
    def ledger_matches_the_model(self) -> None:
        if not hasattr(self, "farmer"):
            return
        quotas, stock = self.tx(lambda s: (quota_left(s, self.farmer, SEASON), stock_left(s, self.outlet)))
        assert quotas == {p: kg - self.m.redeemed[p] for p, kg in self.m.allocated.items()}
        assert stock == self.m.stock
        assert min([*quotas.values(), *stock.values(), 0]) == 0


@pytest.mark.slow
def test_quotas_and_stock_match_the_model(world: World) -> None:
    machine = type("Machine", (QuotaMachine,), {"sessions": world.sessions, "keys": world.keys})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=40, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    ))
