"""Typed values the link returns (frozen dataclasses; money in integer rupiah)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from bpjs_link.bpu import Month, ParticipantStatus
from bpjs_link.codes import ResponseCode


def mask_nik(nik: str) -> str:
    """``7312********0001``: first four and last four digits only (DOMAIN: PDP)."""
    if len(nik) < 8:
        return "*" * len(nik)
    return nik[:4] + "*" * (len(nik) - 8) + nik[-4:]


@dataclass(frozen=True)
class ClockOffset:
    """The host clock minus ours, as an interval (from the Date header of one answer)."""

    low: timedelta
    high: timedelta
    measured_at: datetime

    @property
    def estimate(self) -> timedelta:
        return (self.low + self.high) / 2

    @property
    def uncertainty(self) -> timedelta:
        return (self.high - self.low) / 2


@dataclass(frozen=True)
class Participant:
    """Participant inquiry answer. ``registered`` False: every other field is empty."""

    nik_masked: str
    registered: bool
    kpj: str | None
    name: str | None
    status: ParticipantStatus | None
    paid_through: Month | None
    months_due: tuple[Month, ...]
    contribution: int
    amount_due: int
    due_date: date | None
    registration_required: bool
    prepay_months: tuple[int, ...]
    as_of: date


@dataclass(frozen=True)
class Registration:
    kpj: str
    status: ParticipantStatus
    paid_through: Month
    already_registered: bool


@dataclass(frozen=True)
class PaymentOrder:
    """One payment, fixed before it is first sent; the kiosk stores it with the PENDING journal.

    Every send of this order uses the same ``external_id``, ``timestamp`` and body, so a re-send
    is a replay the host answers with its first answer, and after ``timestamp`` + the acceptance
    window the host refuses it for good (DESIGN §8).
    """

    request_id: str
    kpj: str
    months: int
    amount: int
    expected_paid_through: Month
    external_id: str
    timestamp: datetime


@dataclass(frozen=True)
class PaymentReceipt:
    request_id: str
    reference: str
    kpj: str
    months: int
    amount: int
    paid_through: Month
    paid_at: datetime
    deposit_balance: int


class PaymentState(StrEnum):
    BOOKED = "booked"
    REFUSED = "refused"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class PaymentStatus:
    """The host's answer to payment-status; ``asked_at`` is our clock just before asking."""

    request_id: str
    state: PaymentState
    asked_at: datetime
    host_clock: ClockOffset
    reference: str | None = None
    paid_through: Month | None = None
    amount: int | None = None
    refusal_code: ResponseCode | None = None
    refusal_message: str | None = None


@dataclass(frozen=True)
class SettlementLine:
    reference: str
    request_id: str
    kpj: str
    months: int
    amount: int
    paid_through: Month
    paid_at: datetime


@dataclass(frozen=True)
class Settlement:
    day: date
    payments: tuple[SettlementLine, ...]
    total: int
    deposit_balance: int
