"""JSON bodies of the BPU services: what the client sends and how it reads the answers.

Amounts follow SNAP's amount object ``{"value": "16800.00", "currency": "IDR"}``; rupiah have no
cents, so ``value`` always ends in ``.00``. Months are ``YYYY-MM``, days ``YYYY-MM-DD``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from bpjs_link.bpu import Month, ParticipantStatus
from bpjs_link.errors import BpjsBadAnswer
from bpjs_link.results import PaymentOrder
from bpjs_link.signing import parse_timestamp

CURRENCY = "IDR"
_AMOUNT = re.compile(r"^(0|[1-9]\d{0,14})\.00$")
NIK = re.compile(r"^\d{16}$")
KPJ = re.compile(r"^\d{8,16}$")
REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
EXTERNAL_ID = re.compile(r"^\d{1,36}$")
STATUS_BOOKED = "00"
STATUS_FAILED = "06"


def dumps(body: Mapping[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def amount(rupiah: int) -> dict[str, str]:
    if rupiah < 0:
        raise ValueError("amounts are never negative")
    return {"value": f"{rupiah}.00", "currency": CURRENCY}


def parse_amount(obj: object) -> int:
    """Integer rupiah from a SNAP amount object; ValueError when it is anything else."""
    if not isinstance(obj, dict) or set(obj) != {"value", "currency"}:
        raise ValueError('amount must be {"value": "16800.00", "currency": "IDR"}')
    value, currency = obj["value"], obj["currency"]
    if currency != CURRENCY or not isinstance(value, str) or not _AMOUNT.match(value):
        raise ValueError('amount must be {"value": "16800.00", "currency": "IDR"}')
    return int(value[:-3])


# --- requests (client side) ---------------------------------------------------------------

def inquiry_body(nik: str) -> dict[str, Any]:
    return {"nik": nik}


def registration_body(nik: str, name: str, birth_date: date) -> dict[str, Any]:
    return {"nik": nik, "name": name, "birthDate": birth_date.isoformat()}


def payment_body(order: PaymentOrder) -> dict[str, Any]:
    return {"partnerReferenceNo": order.request_id, "kpj": order.kpj, "months": order.months,
            "amount": amount(order.amount), "expectedPaidThrough": str(order.expected_paid_through)}


def status_body(request_id: str) -> dict[str, Any]:
    return {"originalPartnerReferenceNo": request_id, "serviceCode": "54"}


def settlement_body(day: date) -> dict[str, Any]:
    return {"date": day.isoformat()}


# --- answers (client side) ----------------------------------------------------------------

class Reader:
    """Typed access to an answer's fields; a missing or mistyped field is a BpjsBadAnswer."""

    def __init__(self, data: Mapping[str, Any], service: str) -> None:
        self.data = data
        self.service = service

    def _bad(self, name: str, what: str) -> BpjsBadAnswer:
        return BpjsBadAnswer(f"Jawaban BPJS ({self.service}) tidak sesuai: {name}",
                             f"BPJS answer ({self.service}) malformed: {name} {what}", service=self.service, field=name)

    def raw(self, name: str) -> Any:
        if name not in self.data:
            raise self._bad(name, "missing")
        return self.data[name]

    def text(self, name: str, optional: bool = False) -> str:
        value = self.data.get(name)
        if value is None and optional:
            return ""
        if not isinstance(value, str):
            raise self._bad(name, "is not a string")
        return value

    def integer(self, name: str) -> int:
        value = self.raw(name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._bad(name, "is not a whole number")
        return value

    def boolean(self, name: str) -> bool:
        value = self.raw(name)
        if not isinstance(value, bool):
            raise self._bad(name, "is not true/false")
        return value

    def integers(self, name: str) -> tuple[int, ...]:
        value = self.raw(name)
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise self._bad(name, "is not a list of whole numbers")
        return tuple(value)

    def rupiah(self, name: str) -> int:
        try:
            return parse_amount(self.raw(name))
        except ValueError:
            raise self._bad(name, "is not a SNAP amount") from None

    def month(self, name: str) -> Month:
        try:
            return Month.parse(self.text(name))
        except ValueError:
            raise self._bad(name, "is not YYYY-MM") from None

    def months(self, name: str) -> tuple[Month, ...]:
        value = self.raw(name)
        try:
            if not isinstance(value, list):
                raise ValueError
            return tuple(Month.parse(v) for v in value)
        except (ValueError, TypeError):
            raise self._bad(name, "is not a list of YYYY-MM") from None

    def day(self, name: str) -> date:
        try:
            return date.fromisoformat(self.text(name))
        except ValueError:
            raise self._bad(name, "is not YYYY-MM-DD") from None

    def timestamp(self, name: str) -> datetime:
        try:
            return parse_timestamp(self.text(name))
        except ValueError:
            raise self._bad(name, "is not an ISO 8601 time with offset") from None

    def status(self, name: str) -> ParticipantStatus:
        try:
            return ParticipantStatus(self.text(name))
        except ValueError:
            raise self._bad(name, "is not active/inactive") from None

    def items(self, name: str) -> list[Reader]:
        value = self.raw(name)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self._bad(name, "is not a list of objects")
        return [Reader(v, self.service) for v in value]
