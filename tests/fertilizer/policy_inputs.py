"""Builders and Hypothesis strategies for policy inputs (a swipe at KIOS-001 in MT I 2027)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from fertilizer.catalogue import PRODUCT_CODES
from fertilizer.clock import WITA, YearMonth
from fertilizer.policy_types import BpjsAnswer, BpjsStatus, CardCheck, CardStatus, Due, FarmerFacts, PolicyInput
from fertilizer.prices import SEEDED
from fertilizer.settings import PolicySettings

NOW = datetime(2026, 12, 10, 9, 30, tzinfo=WITA)  # MT I 2027, December 2026
MONTH = YearMonth(2026, 12)
FEE = 16_800


def answer(paid_through: YearMonth | None = MONTH, dues: tuple[Due, ...] = (), *, registered: bool = True,
           age: timedelta = timedelta(0), now: datetime = NOW) -> BpjsAnswer:
    return BpjsAnswer(registered, paid_through, dues, now - age)


def dues(first: YearMonth, count: int) -> tuple[Due, ...]:
    return tuple(Due(first.plus(i), FEE) for i in range(count))


def swipe(**changes: Any) -> PolicyInput:
    base = PolicyInput(
        farmer=FarmerFacts("F-ABCDEFGHIJKL", "KT-7312012001-01", "KIOS-001", frozenset({"2027-MT1"})),
        card=CardCheck(CardStatus.OK),
        outlet_code="KIOS-001",
        quota_season="2027-MT1",
        quotas={"UREA": 170, "NPK": 212},
        stock={"UREA": 5_000, "NPK": 100, "ORGANIC": 800},
        prices=SEEDED,
        bpjs=BpjsStatus(answer()),
        settings=PolicySettings(),
        now=NOW,
    )
    return dataclasses.replace(base, **changes)


kg = st.integers(min_value=0, max_value=600)
months_back = st.integers(min_value=-8, max_value=3)


@st.composite
def bpjs_statuses(draw: st.DrawFn, now: datetime) -> BpjsStatus:
    month = YearMonth.of(now)
    has_answer = draw(st.booleans())
    failure = draw(st.sampled_from([None, "timeout", "http_503"]))
    if not has_answer and failure is None:
        failure = "timeout"
    if not has_answer:
        return BpjsStatus(None, failure)
    paid = draw(st.none() | months_back.map(month.plus))
    first = (paid or month.plus(-draw(st.integers(0, 3)))).plus(1 if paid else 0)
    count = draw(st.integers(0, 12))
    gap = draw(st.integers(0, 2))  # BPJS listing that skips a month must never count as paid
    listed = tuple(Due(first.plus(i + (gap if i else 0)), draw(st.sampled_from([FEE, 20_000]))) for i in range(count))
    age = draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)))
    return BpjsStatus(BpjsAnswer(draw(st.booleans()), paid, listed, now - age), failure)


@st.composite
def swipes(draw: st.DrawFn) -> PolicyInput:
    now = draw(st.datetimes(min_value=datetime(2025, 6, 1), max_value=datetime(2028, 6, 1), timezones=st.just(timezone.utc)))
    settings = PolicySettings(
        rule_enabled=draw(st.booleans()),
        rule_start=draw(st.sampled_from([datetime(2026, 1, 1, tzinfo=WITA), datetime(2027, 3, 1, tzinfo=WITA)])),
        contribution_per_month=draw(st.sampled_from([FEE, 20_000])),
        agent_fee_bps=draw(st.integers(0, 1_000)),
        max_cached_status_age=draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2))),
    )
    season = settings.calendar.season_at(now).id
    seasons = draw(st.sampled_from([frozenset({season}), frozenset(), frozenset({"2020-MT1"}), frozenset({season, "2020-MT1"})]))
    farmer = draw(st.none() | st.just(FarmerFacts("F-ABCDEFGHIJKL", "KT-1", "KIOS-001", seasons))
                  | st.just(FarmerFacts("F-ABCDEFGHIJKL", "KT-1", "KIOS-002", seasons)))
    return PolicyInput(
        farmer=farmer,
        card=CardCheck(draw(st.sampled_from(list(CardStatus)) | st.just(CardStatus.OK))),
        outlet_code="KIOS-001",
        quota_season=season,
        quotas=draw(st.dictionaries(st.sampled_from(PRODUCT_CODES), kg)),
        stock=draw(st.dictionaries(st.sampled_from(PRODUCT_CODES), st.integers(0, 3_000))),
        prices=SEEDED,
        bpjs=draw(bpjs_statuses(now)),
        settings=settings,
        now=now,
    )
