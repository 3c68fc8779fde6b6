from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fertilizer.catalogue import PRODUCT_CODES
from fertilizer.clock import WITA, YearMonth
from fertilizer.errors import PolicyError
from fertilizer.policy import decide
from fertilizer.policy_types import (
    BpjsStatus,
    CardCheck,
    CardStatus,
    Decision,
    Due,
    FarmerFacts,
    PolicyInput,
    ReasonCode,
    Severity,
)
from fertilizer.settings import PolicySettings
from tests.fertilizer.policy_inputs import FEE, MONTH, NOW, answer, dues, swipe, swipes


def codes(d: Decision) -> list[ReasonCode]:
    return [r.code for r in d.reasons]


def test_paid_up_farmer_buys_within_quota_and_stock_at_the_het() -> None:
    d = decide(swipe())
    assert d.season == "2027-MT1" and d.rule_in_force
    assert [(a.product, a.max_kg, a.price_per_kg) for a in d.allowed] == [("UREA", 170, 1800), ("NPK", 100, 1840)]
    assert d.contribution.amount == 0 and d.agent_fee == 0 and not d.registration_needed
    assert d.reasons == ()


def test_two_months_behind_pays_both_in_the_same_swipe() -> None:
    d = decide(swipe(bpjs=BpjsStatus(answer(MONTH.plus(-2), dues(MONTH.plus(-1), 4)))))
    assert d.may_buy
    assert d.contribution.months == (MONTH.plus(-1), MONTH) and d.contribution.amount == 2 * FEE
    assert d.contribution.paid_through_after == MONTH
    assert d.agent_fee == 2 * 1_260  # 7.5 % of Rp 16,800 = Rp 1,260
    [r] = d.reasons
    assert r.code is ReasonCode.CONTRIBUTION_DUE and r.severity is Severity.CONDITION
    assert "Rp 33.600" in r.message_id and "2026-11, 2026-12" in r.message_en


def test_unregistered_farmer_is_offered_registration() -> None:
    d = decide(swipe(bpjs=BpjsStatus(answer(None, registered=False))))
    assert d.may_buy and d.registration_needed
    assert d.contribution.months == (MONTH,) and d.contribution.amount == FEE
    assert codes(d) == [ReasonCode.BPJS_NOT_REGISTERED]


def test_dues_with_a_gap_cannot_settle() -> None:
    listed = (Due(MONTH.plus(-2), FEE), Due(MONTH, FEE))  # November missing
    d = decide(swipe(bpjs=BpjsStatus(answer(MONTH.plus(-3), listed))))
    assert not d.may_buy and codes(d) == [ReasonCode.CONTRIBUTION_UNSETTLED]


def test_bpjs_down_with_a_fresh_paid_up_cache_still_sells() -> None:
    d = decide(swipe(bpjs=BpjsStatus(answer(MONTH, age=timedelta(hours=2)), failure="timeout")))
    assert d.may_buy and codes(d) == [ReasonCode.BPJS_CACHED] and d.contribution.amount == 0


@pytest.mark.parametrize("status", [
    BpjsStatus(answer(MONTH, age=timedelta(hours=13)), failure="timeout"),  # cache too old (12 h)
    BpjsStatus(answer(MONTH.plus(-1), dues(MONTH, 1), age=timedelta(minutes=5)), failure="timeout"),  # payment needed
    BpjsStatus(None, failure="timeout"),
    BpjsStatus(answer(MONTH, age=timedelta(days=1))),  # a "live" answer that is a day old is not live
])
def test_bpjs_unavailable_refuses(status: BpjsStatus) -> None:
    d = decide(swipe(bpjs=status))
    assert not d.may_buy and ReasonCode.BPJS_UNAVAILABLE in codes(d)


def test_before_the_perbup_start_only_quota_and_stock_apply() -> None:
    later = PolicySettings(rule_start=datetime(2027, 1, 1, tzinfo=WITA))
    d = decide(swipe(settings=later, bpjs=BpjsStatus(None, failure="timeout")))
    assert d.may_buy and not d.rule_in_force and d.contribution.amount == 0
    assert codes(d) == [ReasonCode.RULE_NOT_IN_FORCE]
    assert decide(swipe(settings=PolicySettings(rule_enabled=False), bpjs=BpjsStatus(None, "x"))).may_buy


@pytest.mark.parametrize("changes,code", [
    ({"card": CardCheck(CardStatus.PIN_BLOCKED)}, ReasonCode.CARD_PROBLEM),
    ({"card": CardCheck(CardStatus.CLONED)}, ReasonCode.CARD_PROBLEM),
    ({"farmer": None}, ReasonCode.NOT_IN_RDKK),
    ({"farmer": FarmerFacts("F-X", "KT-1", "KIOS-001", frozenset())}, ReasonCode.NOT_IN_RDKK),
    ({"farmer": FarmerFacts("F-X", "KT-1", "KIOS-001", frozenset({"2026-MT3"}))}, ReasonCode.OUT_OF_SEASON),
    ({"outlet_code": "KIOS-002"}, ReasonCode.WRONG_KIOSK),
])
def test_refusals_of_everything(changes: dict[str, object], code: ReasonCode) -> None:
    d = decide(swipe(**changes))
    assert not d.may_buy and code in codes(d)
    r = next(r for r in d.reasons if r.code is code)
    assert r.severity is Severity.REFUSE and r.message_id and r.message_en and r.message_id != r.message_en


def test_card_messages_name_the_problem() -> None:
    d = decide(swipe(card=CardCheck(CardStatus.PIN_BLOCKED)))
    assert "3 kali salah" in d.reasons[0].message_id and "3 wrong tries" in d.reasons[0].message_en


def test_product_level_reasons() -> None:
    d = decide(swipe(quotas={"UREA": 0, "NPK": 50, "SP36": 50, "ZA": 10}, stock={"NPK": 0, "SP36": 99, "ZA": 5}))
    assert d.allowed[0].product == "ZA" and d.allowed[0].max_kg == 5 and len(d.allowed) == 1
    assert [(r.code, r.product) for r in d.reasons] == [
        (ReasonCode.QUOTA_EXHAUSTED, "UREA"), (ReasonCode.OUT_OF_STOCK, "NPK"), (ReasonCode.NOT_FOR_SALE, "SP36")]
    assert "SP-36" in d.reasons[2].message_en


def test_no_allocation_at_all_still_says_why() -> None:
    d = decide(swipe(quotas={}))
    assert not d.may_buy and codes(d) == [ReasonCode.QUOTA_EXHAUSTED]


@pytest.mark.parametrize("changes", [
    {"quotas": {"UREA": -1}}, {"stock": {"NPK": 1.5}}, {"quota_season": "2026-MT3"},
    {"bpjs": BpjsStatus(None)}, {"bpjs": BpjsStatus(answer(MONTH.plus(-1), (Due(MONTH, 0),)))},
    {"now": datetime(2026, 12, 10)},
])
def test_contradictory_input_is_an_error(changes: dict[str, object]) -> None:
    with pytest.raises(Exception) as err:
        decide(swipe(**changes))
    assert isinstance(err.value, PolicyError) or getattr(err.value, "code", "") == "naive_datetime"


# --- properties (Hypothesis) -------------------------------------------------------------------

@settings(max_examples=400)
@given(swipes())
def test_never_more_than_quota_or_stock(inp: PolicyInput) -> None:
    for a in decide(inp).allowed:
        assert 0 < a.max_kg <= inp.quotas[a.product] and a.max_kg <= inp.stock[a.product]


@settings(max_examples=400)
@given(swipes())
def test_never_fertilizer_unless_paid_through_this_month_while_the_rule_is_in_force(inp: PolicyInput) -> None:
    d = decide(inp)
    if d.allowed and inp.settings.rule_in_force(inp.now):
        after = d.contribution.paid_through_after
        assert after is not None and after >= YearMonth.of(inp.now)
        answer, month, months = inp.bpjs.answer, YearMonth.of(inp.now), list(d.contribution.months)
        assert answer is not None
        # exactly the months between what BPJS had and this month are collected in the same swipe
        if not answer.registered:
            assert months == [month] and d.registration_needed
        elif answer.paid_through is not None and answer.paid_through >= month:
            assert months == []
        elif answer.paid_through is not None:
            assert months == [answer.paid_through.plus(i + 1) for i in range(answer.paid_through.months_until(month))]
        else:
            assert months and months[-1] == month and months == [months[0].plus(i) for i in range(len(months))]
        assert d.contribution.amount == sum(x.amount for x in answer.dues if x.month in months) or not answer.registered
        assert d.agent_fee == d.contribution.amount * inp.settings.agent_fee_bps // 10_000


@settings(max_examples=300)
@given(swipes(), st.dictionaries(st.sampled_from(PRODUCT_CODES), st.integers(0, 500)),
       st.dictionaries(st.sampled_from(PRODUCT_CODES), st.integers(0, 500)))
def test_more_quota_or_stock_never_allows_less(inp: PolicyInput, more_quota: dict[str, int], more_stock: dict[str, int]) -> None:
    richer = dataclasses.replace(
        inp,
        quotas={p: inp.quotas.get(p, 0) + more_quota.get(p, 0) for p in {*inp.quotas, *more_quota}},
        stock={p: inp.stock.get(p, 0) + more_stock.get(p, 0) for p in {*inp.stock, *more_stock}},
    )
    before, after = decide(inp), decide(richer)
    for a in before.allowed:
        b = after.allowance(a.product)
        assert b is not None and b.max_kg >= a.max_kg


@settings(max_examples=400)
@given(swipes())
def test_every_refusal_has_a_reason(inp: PolicyInput) -> None:
    d = decide(inp)
    if not d.allowed:
        assert d.refusals
    if d.allowed:
        assert not any(r.severity is Severity.REFUSE for r in d.reasons)
    for r in d.reasons:
        assert r.message_id.strip() and r.message_en.strip() and "{" not in r.message_id + r.message_en
    assert decide(inp) == d  # pure: the same input, the same decision


def test_now_is_a_fixture_in_december() -> None:
    assert YearMonth.of(NOW) == MONTH
