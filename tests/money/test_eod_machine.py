"""The end of day against a simple model (Hypothesis state machine, both backends): card and cash
sales through the checkout's journal step, cash top-ups and same-day reversals happen in any order;
after every step the day's report from the ledger equals the model, the cash expected in the drawer
equals the drawer's ledger balance, and a sale is never reversed twice."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

import fertilizer
from kiosk.money import card_balance, cash_in_drawer, reverse_sale, summarize_day, topup_cash
from kiosk.money.eod import today_wita
from kiosk.money.errors import Refused
from tests.money.small import NOON, SmallKiosk

PRODUCTS = ("UREA", "NPK")


class DayMachine(RuleBasedStateMachine):
    small: SmallKiosk

    def __init__(self) -> None:
        super().__init__()
        self.clock = NOON
        self.people = self.small.at(self.small.kiosk)[:3]
        with self.small.sessions() as s:
            prices = fertilizer.load_price_list(s)
            self.price = {p: int(prices.in_force(p, NOON) or 0) for p in PRODUCTS}
            self.card = {p.pseudonym: card_balance(s, p.pseudonym) for p in self.people}
            self.quota = {p.pseudonym: fertilizer.quota_left(s, p.pseudonym, self.small.season) for p in self.people}
            start = summarize_day(s, self.small.kiosk, today_wita(NOON)).to_dict()
        self.sold: dict[str, int] = defaultdict(int, start["sales"]["by_tender"])
        self.refunded: dict[str, int] = defaultdict(int, start["reversals"]["by_tender"])
        self.kg = {p["product"]: p["kg_net"] for p in start["products"]}
        self.counts = {"sales": start["sales"]["count"], "reversals": start["reversals"]["count"],
                       "topups": start["topups"]["count"]}
        self.topped_up = start["topups"]["total"]
        self.open_sales: list[tuple[Any, str]] = []  # (checkout row, tender) not yet reversed
        self.reversed: list[Any] = []

    def tick(self) -> Any:
        self.clock += timedelta(seconds=7)
        return self.clock

    @initialize()
    def same_day(self) -> None:
        assert today_wita(self.clock) == today_wita(NOON)

    @rule(who=st.integers(0, 2), product=st.sampled_from(PRODUCTS), kg=st.integers(1, 40), cash=st.booleans())
    def sell(self, who: int, product: str, kg: int, cash: bool) -> None:
        person = self.people[who]
        kg = min(kg, self.quota[person.pseudonym].get(product, 0))
        amount = kg * self.price[product]
        tender = "cash" if cash or self.card[person.pseudonym] < amount else "card"
        if kg == 0:
            return
        row = self.small.sell(person, {product: kg}, tender, now=self.tick())
        self.quota[person.pseudonym][product] -= kg
        if tender == "card":
            self.card[person.pseudonym] -= amount
        self.sold[tender] += amount
        self.kg[product] = self.kg.get(product, 0) + kg
        self.counts["sales"] += 1
        self.open_sales.append((row, tender))

    @rule(who=st.integers(0, 2), amount=st.integers(1, 200).map(lambda n: n * 500))
    def top_up(self, who: int, amount: int) -> None:
        person = self.people[who]
        with self.small.sessions.begin() as s:
            topup_cash(s, kiosk=self.small.kiosk, farmer=person.pseudonym, amount=amount, key=f"m-{uuid.uuid4()}",
                       operator="op", now=self.tick())
        self.card[person.pseudonym] += amount
        self.topped_up += amount
        self.counts["topups"] += 1

    @rule(pick=st.integers(0, 1000))
    def reverse(self, pick: int) -> None:
        if not self.open_sales:
            return
        row, tender = self.open_sales.pop(pick % len(self.open_sales))
        with self.small.sessions.begin() as s:
            reverse_sale(s, self.small.keys(), checkout_id=row.id, supervisor="spv", reason="uji mesin keadaan",
                         key=f"r-{row.id}", now=self.tick())
        line = row.selection["lines"][0]
        if tender == "card":
            self.card[row.farmer] += row.fertilizer_total
        self.quota[row.farmer][line["product"]] += line["kg"]
        self.refunded[tender] += row.fertilizer_total
        self.kg[line["product"]] -= line["kg"]
        self.counts["reversals"] += 1
        self.reversed.append(row)

    @rule(pick=st.integers(0, 1000))
    def reverse_again(self, pick: int) -> None:
        if not self.reversed:
            return
        row = self.reversed[pick % len(self.reversed)]
        with pytest.raises(Refused) as refused, self.small.sessions.begin() as s:
            reverse_sale(s, self.small.keys(), checkout_id=row.id, supervisor="spv2", reason="sekali lagi",
                         key=f"again-{uuid.uuid4()}", now=self.tick())
        assert refused.value.code == "already_reversed"

    @invariant()
    def the_day_equals_the_model(self) -> None:
        with self.small.sessions() as s:
            day = summarize_day(s, self.small.kiosk, today_wita(NOON))
            drawer = cash_in_drawer(s, self.small.kiosk)
            cards = {p.pseudonym: card_balance(s, p.pseudonym) for p in self.people}
        assert {k: v for k, v in day.sold.items() if v} == {k: v for k, v in self.sold.items() if v}
        assert {k: v for k, v in day.refunded.items() if v} == {k: v for k, v in self.refunded.items() if v}
        assert {p.product: p.kg_net for p in day.products if p.product in PRODUCTS} == \
            {p: k for p, k in self.kg.items() if p in PRODUCTS and (k or p in {q.product for q in day.products})}
        assert (day.sales, day.reversals, day.topups, day.topped_up) == (
            self.counts["sales"], self.counts["reversals"], self.counts["topups"], self.topped_up)
        assert day.cash_expected == drawer and cards == self.card
        assert day.checks == {"products_match_sales": True, "products_match_refunds": True}


@pytest.mark.slow
def test_end_of_day_follows_the_model(small: SmallKiosk) -> None:
    DayMachine.small = small
    run_state_machine_as_test(DayMachine, settings=settings(
        max_examples=10, stateful_step_count=15, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
