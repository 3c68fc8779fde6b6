"""BPU contribution rules (DOMAIN.md), worked examples first, then properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bpjs_link.bpu import (
    BpuRules,
    Month,
    ParticipantStatus,
    PaymentCheck,
    ReturnMode,
    check_payment,
    lapse_day,
    lapsed,
    overdue_months,
    standing,
)

RULES = BpuRules()
ACTIVE, INACTIVE = ParticipantStatus.ACTIVE, ParticipantStatus.INACTIVE
M = Month.parse


def test_month_arithmetic_and_format() -> None:
    assert str(M("2026-12") + 1) == "2027-01"
    assert str(M("2026-01") + (-1)) == "2025-12"
    assert M("2027-02") - M("2026-11") == 3
    assert Month.of(date(2026, 12, 4)) == M("2026-12")
    for bad in ("2026-13", "2026-1", "26-01", "2026-00", ""):
        with pytest.raises(ValueError):
            M(bad)


def test_worked_example_two_months_due() -> None:
    st_ = standing(M("2026-10"), ACTIVE, date(2026, 12, 4), RULES)
    assert st_.months_due == (M("2026-11"), M("2026-12"))
    assert st_.overdue == (M("2026-11"),)  # December is payable, overdue only after the 15th
    assert st_.amount_due(RULES) == 33_600
    assert st_.status is ACTIVE and st_.first_payable == M("2026-11")
    assert st_.lapses_on == date(2027, 1, 16)


def test_paid_up_and_paid_ahead_owe_nothing() -> None:
    assert standing(M("2026-12"), ACTIVE, date(2026, 12, 4), RULES).months_due == ()
    assert standing(M("2027-03"), ACTIVE, date(2026, 12, 4), RULES).months_due == ()


def test_lapse_after_three_overdue_months() -> None:
    paid = M("2026-10")
    assert lapse_day(paid, RULES) == date(2027, 1, 16)
    assert not lapsed(paid, date(2027, 1, 15), RULES)
    assert lapsed(paid, date(2027, 1, 16), RULES)
    assert overdue_months(paid, date(2027, 1, 16), RULES) == (M("2026-11"), M("2026-12"), M("2027-01"))


def test_lapsed_participant_returns_by_paying_again() -> None:
    st_ = standing(M("2026-05"), ACTIVE, date(2026, 12, 4), RULES)
    assert st_.status is INACTIVE and st_.months_due == (M("2026-12"),) and not st_.registration_required
    assert check_payment(st_, 1, 16_800, RULES) == (PaymentCheck.OK, M("2026-12"))


def test_lapsed_participant_must_register_again_when_so_configured() -> None:
    rules = BpuRules(return_mode=ReturnMode.REGISTER_AGAIN)
    st_ = standing(M("2026-11"), INACTIVE, date(2026, 12, 4), rules)
    assert st_.registration_required and st_.months_due == () and st_.first_payable is None
    assert check_payment(st_, 1, 16_800, rules) == (PaymentCheck.MUST_REGISTER, None)


@pytest.mark.parametrize(("paid", "months", "verdict", "end"), [
    ("2026-10", 1, PaymentCheck.OK, "2026-11"),             # part of the arrears
    ("2026-10", 2, PaymentCheck.OK, "2026-12"),             # exactly up to the current month
    ("2026-10", 3, PaymentCheck.MONTHS_NOT_ALLOWED, None),  # one month ahead is no package
    ("2026-10", 5, PaymentCheck.OK, "2027-03"),             # arrears + 3 ahead
    ("2026-12", 6, PaymentCheck.OK, "2027-06"),
    ("2026-12", 12, PaymentCheck.OK, "2027-12"),
    ("2027-01", 3, PaymentCheck.OK, "2027-04"),             # already ahead: another package
    ("2027-01", 12, PaymentCheck.MONTHS_NOT_ALLOWED, None), # would reach 13 months ahead
    ("2026-12", 0, PaymentCheck.MONTHS_NOT_ALLOWED, None),
])
def test_payment_months(paid: str, months: int, verdict: PaymentCheck, end: str | None) -> None:
    st_ = standing(M(paid), ACTIVE, date(2026, 12, 4), RULES)
    assert check_payment(st_, months, months * 16_800, RULES) == (verdict, M(end) if end else None)


def test_wrong_amount() -> None:
    st_ = standing(M("2026-10"), ACTIVE, date(2026, 12, 4), RULES)
    assert check_payment(st_, 2, 33_601, RULES) == (PaymentCheck.WRONG_AMOUNT, None)


def test_rules_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        BpuRules(contribution=0)
    with pytest.raises(ValueError):
        BpuRules(due_day=31)


days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
gaps = st.integers(min_value=-14, max_value=30)


@given(days, gaps)
def test_paying_the_months_due_brings_an_active_participant_up_to_date(today: date, gap: int) -> None:
    paid = Month.of(today) + (-gap)
    st_ = standing(paid, ACTIVE, today, RULES)
    if st_.status is INACTIVE:
        assert len(overdue_months(paid, today, RULES)) >= RULES.lapse_after_unpaid
        return
    assert len(st_.months_due) == max(0, gap)
    if st_.months_due:
        verdict, end = check_payment(st_, len(st_.months_due), st_.amount_due(RULES), RULES)
        assert verdict is PaymentCheck.OK and end == Month.of(today)
        assert standing(end, ACTIVE, today, RULES).months_due == ()


@given(days, gaps)
def test_lapse_day_is_exactly_when_lapsing_starts(today: date, gap: int) -> None:
    paid = Month.of(today) + (-gap)
    first = lapse_day(paid, RULES)
    assert lapsed(paid, first, RULES) and not lapsed(paid, first - timedelta(days=1), RULES)


@given(days, gaps, st.integers(min_value=1, max_value=40))
def test_an_allowed_payment_never_leaves_a_gap_nor_runs_over_a_year_ahead(today: date, gap: int, months: int) -> None:
    st_ = standing(Month.of(today) + (-gap), ACTIVE, today, RULES)
    verdict, end = check_payment(st_, months, months * RULES.contribution, RULES)
    if verdict is PaymentCheck.OK:
        assert end is not None and st_.first_payable is not None
        assert end - st_.first_payable == months - 1
        assert end - Month.of(today) <= 12


def test_documented_example_of_allowed_months() -> None:
    """docs/bpjs.md: paid through 2026-10 on 2026-12-04 may pay 1, 2, 5, 8 or 14 months."""
    st_ = standing(M("2026-10"), ACTIVE, date(2026, 12, 4), RULES)
    allowed = [n for n in range(1, 30) if check_payment(st_, n, n * 16_800, RULES)[0] is PaymentCheck.OK]
    assert allowed == [1, 2, 5, 8, 14]
