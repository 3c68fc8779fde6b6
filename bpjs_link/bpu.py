"""BPJS Ketenagakerjaan BPU (informal worker) contribution rules, pure (DOMAIN.md).

Definitions used by the sandbox host and documented in docs/bpjs.md:

* A participant's **paid-through** month ``P`` is the last calendar month covered.
* The **current month** ``M`` is the calendar month of "today" in the host's zone (WIB, +07:00).
* Month ``m`` is **overdue** on day ``d`` once ``d`` is after the ``due_day`` (15th) of ``m``
  (the sandbox keeps no holiday calendar, so "next working day" is not modelled).
* **Lapsed**: at least ``lapse_after_unpaid`` (3) consecutive months after ``P`` are overdue; a
  lapsed participant is inactive even if the host's record still says active.
* **Months due** as of ``d``: the months that must be paid so that the participant is paid through
  ``M``. Active: ``P+1 .. M`` (empty when ``P >= M``). Paid through 2026-10 on 2026-12-04: 2026-11
  and 2026-12 (December is payable but not overdue until the 15th). Inactive and the return mode is
  ``pay-again``: coverage restarts, the lapsed months are not collected: ``[M]`` only. Inactive and
  ``register-again``: nothing is payable until the participant registers again.
* A payment of ``n`` months starts at the first payable month ``F`` (``P+1``, or ``M`` for a
  returning inactive participant) and ends at ``E = F + n - 1``. The months it pays beyond the
  current month are ``A = E - max(M, F - 1)``. Allowed when ``A <= 0`` (paying some or all arrears,
  or exactly up to ``M``) or when ``A`` is a prepay package (3, 6 or 12) and ``E - M <= 12``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, ``YYYY-MM`` on the wire."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12) or not (1900 <= self.year <= 9999):
            raise ValueError(f"not a calendar month: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Month:
        m = _MONTH.match(text)
        if m is None:
            raise ValueError(f"month must be YYYY-MM, got {text[:20]!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def index(self) -> int:
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)

    def __add__(self, months: int) -> Month:
        return Month.from_index(self.index + months)

    def __sub__(self, other: Month) -> int:
        return self.index - other.index

    def day(self, day: int) -> date:
        return date(self.year, self.month, day)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


class ReturnMode(StrEnum):
    """How a lapsed participant comes back (DOMAIN.md reports both; a sandbox setting)."""

    PAY_AGAIN = "pay-again"
    REGISTER_AGAIN = "register-again"


class ParticipantStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class BpuRules:
    """The BPU settings (DOMAIN.md: *config*)."""

    contribution: int = 16_800
    due_day: int = 15
    lapse_after_unpaid: int = 3
    prepay_months: frozenset[int] = field(default_factory=lambda: frozenset({3, 6, 12}))
    return_mode: ReturnMode = ReturnMode.PAY_AGAIN

    def __post_init__(self) -> None:
        if self.contribution <= 0 or not (1 <= self.due_day <= 28) or self.lapse_after_unpaid < 1:
            raise ValueError("contribution > 0, due day 1..28 and lapse after >= 1 month are required")
        if any(n < 1 for n in self.prepay_months):
            raise ValueError("prepay packages are whole months >= 1")


@dataclass(frozen=True)
class Standing:
    """A participant's position as of a day."""

    as_of: date
    paid_through: Month
    status: ParticipantStatus
    months_due: tuple[Month, ...]
    overdue: tuple[Month, ...]
    first_payable: Month | None
    registration_required: bool
    lapses_on: date | None

    def amount_due(self, rules: BpuRules) -> int:
        return len(self.months_due) * rules.contribution


def overdue_months(paid_through: Month, today: date, rules: BpuRules) -> tuple[Month, ...]:
    """Unpaid months after ``paid_through`` whose due day has passed."""
    out: list[Month] = []
    m = paid_through + 1
    while m <= Month.of(today) and today > m.day(rules.due_day):
        out.append(m)
        m = m + 1
    return tuple(out)


def lapsed(paid_through: Month, today: date, rules: BpuRules) -> bool:
    return len(overdue_months(paid_through, today, rules)) >= rules.lapse_after_unpaid


def lapse_day(paid_through: Month, rules: BpuRules) -> date:
    """The first day on which the participant is lapsed if nothing more is paid."""
    last = paid_through + rules.lapse_after_unpaid
    return date.fromordinal(last.day(rules.due_day).toordinal() + 1)


def standing(paid_through: Month, recorded: ParticipantStatus, today: date, rules: BpuRules) -> Standing:
    current = Month.of(today)
    inactive = recorded is ParticipantStatus.INACTIVE or lapsed(paid_through, today, rules)
    overdue = overdue_months(paid_through, today, rules)
    if not inactive:
        due = tuple(paid_through + i for i in range(1, max(0, current - paid_through) + 1))
        return Standing(today, paid_through, ParticipantStatus.ACTIVE, due, overdue, paid_through + 1, False, lapse_day(paid_through, rules))
    if rules.return_mode is ReturnMode.PAY_AGAIN:
        return Standing(today, paid_through, ParticipantStatus.INACTIVE, (current,), overdue, current, False, None)
    return Standing(today, paid_through, ParticipantStatus.INACTIVE, (), overdue, None, True, None)


class PaymentCheck(StrEnum):
    """Why a payment breaks the rules; ``OK`` when it does not."""

    OK = "ok"
    MUST_REGISTER = "must-register"
    MONTHS_NOT_ALLOWED = "months-not-allowed"
    WRONG_AMOUNT = "wrong-amount"


def check_payment(st: Standing, months: int, amount: int, rules: BpuRules) -> tuple[PaymentCheck, Month | None]:
    """(verdict, new paid-through month) for paying ``months`` months of ``amount`` rupiah."""
    if st.first_payable is None:
        return PaymentCheck.MUST_REGISTER, None
    if months < 1:
        return PaymentCheck.MONTHS_NOT_ALLOWED, None
    end = st.first_payable + (months - 1)
    current = Month.of(st.as_of)
    ahead = end - max(current, st.first_payable + (-1))
    if ahead > 0 and (ahead not in rules.prepay_months or end - current > max(rules.prepay_months, default=0)):
        return PaymentCheck.MONTHS_NOT_ALLOWED, None
    if amount != months * rules.contribution:
        return PaymentCheck.WRONG_AMOUNT, None
    return PaymentCheck.OK, end
