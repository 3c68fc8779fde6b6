"""The link as a Protocol: what the kiosk depends on. :class:`~bpjs_link.client.BpjsClient` satisfies it."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from bpjs_link.bpu import Month
from bpjs_link.config import BpjsConfig
from bpjs_link.results import ClockOffset, Participant, PaymentOrder, PaymentReceipt, PaymentStatus, Registration, Settlement


class BpjsLink(Protocol):
    config: BpjsConfig

    @property
    def clock_offset(self) -> ClockOffset | None: ...

    def inquire(self, nik: str) -> Participant: ...

    def register(self, nik: str, name: str, birth_date: date) -> Registration: ...

    def new_payment(self, *, request_id: str, kpj: str, months: int, amount: int, expected_paid_through: Month) -> PaymentOrder: ...

    def pay(self, order: PaymentOrder) -> PaymentReceipt: ...

    def payment_status(self, request_id: str) -> PaymentStatus: ...

    def settlement(self, day: date) -> Settlement: ...

    def close(self) -> None: ...
