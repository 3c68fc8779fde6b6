from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fertilizer.clock import WITA
from fertilizer.errors import PolicyError
from fertilizer.policy import decide
from fertilizer.policy_types import BpjsStatus
from fertilizer.prices import SEEDED, PriceEntry, PriceList
from fertilizer.pricing import agent_fee, price_selection
from tests.fertilizer.policy_inputs import MONTH, NOW, answer, dues, swipe


def test_quote_for_a_farmer_one_month_behind() -> None:
    d = decide(swipe(bpjs=BpjsStatus(answer(MONTH.plus(-1), dues(MONTH, 1)))))
    q = price_selection(d, {"NPK": 100, "UREA": 150}, SEEDED, NOW, 750)
    assert [(line.product, line.kg, line.price_per_kg, line.amount) for line in q.lines] == [
        ("UREA", 150, 1800, 270_000), ("NPK", 100, 1840, 184_000)]
    assert (q.fertilizer_total, q.contribution, q.agent_fee, q.total) == (454_000, 16_800, 1_260, 470_800)
    assert q.contribution_months == (MONTH,)


def test_the_price_in_force_at_the_sale_is_used() -> None:
    d = decide(swipe())
    change = datetime(2026, 12, 10, 12, 0, tzinfo=WITA)
    prices = PriceList.of([*SEEDED.entries, PriceEntry("UREA", change, 1_700, NOW)])
    assert price_selection(d, {"UREA": 10}, prices, change - timedelta(seconds=1), 750).fertilizer_total == 18_000
    assert price_selection(d, {"UREA": 10}, prices, change, 750).fertilizer_total == 17_000


@pytest.mark.parametrize("selection,code", [
    ({"UREA": 171}, "over_allowance"),
    ({"UREA": 0}, "bad_quantity"),
    ({"UREA": 2.5}, "bad_quantity"),
    ({"ORGANIC": 10}, "product_not_allowed"),
])
def test_selection_outside_the_decision_is_refused(selection: dict[str, int], code: str) -> None:
    with pytest.raises(PolicyError) as err:
        price_selection(decide(swipe()), selection, SEEDED, NOW, 750)
    assert err.value.code == code and err.value.message_id and err.value.message_en


def test_a_product_that_lost_its_price_is_refused() -> None:
    d = decide(swipe())
    withdrawn = PriceList.of([*SEEDED.entries, PriceEntry("UREA", NOW, None, NOW)])
    with pytest.raises(PolicyError) as err:
        price_selection(d, {"UREA": 1}, withdrawn, NOW + timedelta(hours=1), 750)
    assert err.value.code == "not_for_sale"


@given(st.integers(0, 10**9), st.integers(0, 10_000))
def test_agent_fee_rounds_down_and_never_exceeds_the_rate(contribution: int, bps: int) -> None:
    fee = agent_fee(contribution, bps)
    assert fee * 10_000 <= contribution * bps < (fee + 1) * 10_000
