"""Receipts to and from JSON-able dicts (the print queue's files, the agent's ``/v1/print`` body). Pure.

``receipt_from_dict`` accepts only the documented shape (docs/receipts.md): unknown keys, wrong
types and broken rules raise :class:`~kiosk.receipts.errors.InvalidReceipt` naming the field.
Times are ISO 8601 with their offset; hashes lowercase hex; months ``YYYY-MM``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from kiosk.receipts.errors import InvalidReceipt
from kiosk.receipts.model import (
    DAY_AMOUNTS,
    DAY_COUNTS,
    Contribution,
    ContributionReceipt,
    DayProduct,
    EndOfDayReceipt,
    Farmer,
    Header,
    Kiosk,
    ProductLine,
    Proof,
    QuotaLeft,
    Receipt,
    ReceiptKind,
    ReversalReceipt,
    SaleReceipt,
    Tender,
    TopUpReceipt,
    YearMonth,
)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month_text(month: YearMonth) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def _header_dict(header: Header) -> dict[str, Any]:
    kiosk, farmer = header.kiosk, header.farmer
    return {"kiosk": {"code": kiosk.code, "name": kiosk.name, "address": kiosk.address}, "at": header.at.isoformat(),
            "operator": header.operator,
            "farmer": {"name": farmer.name, "masked_nik": farmer.masked_nik} if farmer is not None else None,
            "journal_id": str(header.proof.journal_id), "entry_hash": header.proof.entry_hash.hex(), "copy": header.copy}


def _products(items: tuple[ProductLine, ...]) -> list[dict[str, Any]]:
    return [{"name": p.name, "kg": p.kg, "het": p.het} for p in items]


def _quota(items: tuple[QuotaLeft, ...]) -> list[dict[str, Any]]:
    return [{"name": q.name, "kg": q.kg} for q in items]


def _contribution_dict(c: Contribution | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"kpj": c.kpj, "months": c.months, "monthly": c.monthly, "first_month": _month_text(c.first_month)}


def receipt_to_dict(receipt: Receipt) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": receipt.kind.value, "header": _header_dict(receipt.header)}
    if isinstance(receipt, SaleReceipt):
        out |= {"products": _products(receipt.products), "tender": receipt.tender.value,
                "contribution": _contribution_dict(receipt.contribution), "agent": receipt.agent,
                "quota_left": _quota(receipt.quota_left), "balance_after": receipt.balance_after}
        if receipt.released:  # only when set, so the documented shape of older receipts stays as it was
            out["released"] = True
    elif isinstance(receipt, ContributionReceipt):
        out |= {"contribution": _contribution_dict(receipt.contribution), "tender": receipt.tender.value,
                "agent": receipt.agent, "balance_after": receipt.balance_after}
    elif isinstance(receipt, TopUpReceipt):
        out |= {"amount": receipt.amount, "balance_after": receipt.balance_after}
    elif isinstance(receipt, EndOfDayReceipt):
        out |= {"day": receipt.day.isoformat(), "products": [
            {"name": p.name, "sales": p.sales, "kg": p.kg, "rupiah": p.rupiah} for p in receipt.products]}
        out |= {name: getattr(receipt, name) for name in (*DAY_COUNTS, *DAY_AMOUNTS)}
    else:
        out |= {"original_journal_id": str(receipt.original_journal_id), "supervisor": receipt.supervisor,
                "reason": receipt.reason, "products": _products(receipt.products),
                "refund_to": receipt.refund_to.value, "contribution_kept": receipt.contribution_kept,
                "quota_left": _quota(receipt.quota_left), "balance_after": receipt.balance_after}
    return out


# ---- decoding --------------------------------------------------------------------------------


class _Fields:
    """A dict being read: every key must be used, each with the type asked for."""

    def __init__(self, value: object, where: str, allowed: set[str]) -> None:
        if not isinstance(value, dict):
            raise InvalidReceipt(where, "harus objek", "must be an object")
        unknown = set(value) - allowed
        if unknown:
            raise InvalidReceipt(where, f"kunci tidak dikenal {sorted(unknown)}", f"unknown keys {sorted(unknown)}")
        self.value, self.where = value, where

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.value or self.value[key] is None:
            if default is ...:
                raise InvalidReceipt(f"{self.where}.{key}", "wajib diisi", "is required")
            return default
        found = self.value[key]
        if not isinstance(found, kind) or (isinstance(found, bool) and kind is int):
            raise InvalidReceipt(f"{self.where}.{key}", "jenis data salah", "has the wrong type")
        return found


def _uuid(text: str, where: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise InvalidReceipt(where, "bukan UUID", "is not a UUID") from None


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidReceipt("header.at", "bukan waktu ISO 8601", "is not an ISO 8601 time") from None


def _enum(kind: type[Tender | ReceiptKind], text: str, where: str) -> Any:
    try:
        return kind(text)
    except ValueError:
        allowed = ", ".join(k.value for k in kind)
        raise InvalidReceipt(where, f"pilihan: {allowed}", f"must be one of {allowed}") from None


def _header(value: object) -> Header:
    f = _Fields(value, "header", {"kiosk", "at", "operator", "farmer", "journal_id", "entry_hash", "copy"})
    k = _Fields(f.get("kiosk", dict), "header.kiosk", {"code", "name", "address"})
    farmer_value = f.get("farmer", dict, None)
    farmer = _Fields(farmer_value, "header.farmer", {"name", "masked_nik"}) if farmer_value is not None else None
    entry_hash = f.get("entry_hash", str)
    if not re.fullmatch(r"[0-9a-f]{64}", entry_hash):
        raise InvalidReceipt("header.entry_hash", "harus 64 digit hex kecil", "must be 64 lowercase hex digits")
    return Header(Kiosk(k.get("code", str), k.get("name", str), k.get("address", str, "")), _time(f.get("at", str)),
                  f.get("operator", str),
                  Farmer(farmer.get("name", str), farmer.get("masked_nik", str)) if farmer is not None else None,
                  Proof(_uuid(f.get("journal_id", str), "header.journal_id"), bytes.fromhex(entry_hash)),
                  f.get("copy", bool, False))


def _product_list(items: object, where: str) -> tuple[ProductLine, ...]:
    if not isinstance(items, list):
        raise InvalidReceipt(where, "harus daftar", "must be a list")
    rows = [_Fields(item, f"{where}[{i}]", {"name", "kg", "het"}) for i, item in enumerate(items)]
    return tuple(ProductLine(r.get("name", str), r.get("kg", int), r.get("het", int)) for r in rows)


def _quota_list(items: object) -> tuple[QuotaLeft, ...]:
    if not isinstance(items, list):
        raise InvalidReceipt("quota_left", "harus daftar", "must be a list")
    rows = [_Fields(item, f"quota_left[{i}]", {"name", "kg"}) for i, item in enumerate(items)]
    return tuple(QuotaLeft(r.get("name", str), r.get("kg", int)) for r in rows)


def _contribution(value: object) -> Contribution:
    f = _Fields(value, "contribution", {"kpj", "months", "monthly", "first_month"})
    month = _MONTH.match(f.get("first_month", str))
    if month is None:
        raise InvalidReceipt("contribution.first_month", "format YYYY-MM", "must be YYYY-MM")
    return Contribution(f.get("kpj", str), f.get("months", int), f.get("monthly", int),
                        YearMonth(int(month.group(1)), int(month.group(2))))


def _sale(f: _Fields, header: Header) -> Receipt:
    contribution = f.get("contribution", dict, None)
    return SaleReceipt(header, _product_list(f.get("products", list), "products"),
                       _enum(Tender, f.get("tender", str), "tender"),
                       _contribution(contribution) if contribution is not None else None,
                       f.get("agent", str, None), _quota_list(f.get("quota_left", list, [])),
                       f.get("balance_after", int, None), f.get("released", bool, False))


def _contribution_only(f: _Fields, header: Header) -> Receipt:
    return ContributionReceipt(header, _contribution(f.get("contribution", dict)),
                               _enum(Tender, f.get("tender", str), "tender"), f.get("agent", str, None),
                               f.get("balance_after", int, None))


def _topup(f: _Fields, header: Header) -> Receipt:
    return TopUpReceipt(header, f.get("amount", int), f.get("balance_after", int))


def _reversal(f: _Fields, header: Header) -> Receipt:
    return ReversalReceipt(header, _uuid(f.get("original_journal_id", str), "original_journal_id"),
                           f.get("supervisor", str), f.get("reason", str),
                           _product_list(f.get("products", list), "products"),
                           _enum(Tender, f.get("refund_to", str), "refund_to"), f.get("contribution_kept", int, 0),
                           _quota_list(f.get("quota_left", list, [])), f.get("balance_after", int, None))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidReceipt("day", "bukan tanggal YYYY-MM-DD", "is not a YYYY-MM-DD date") from None


def _end_of_day(f: _Fields, header: Header) -> Receipt:
    items = f.get("products", list)
    rows = [_Fields(item, f"products[{i}]", {"name", "sales", "kg", "rupiah"}) for i, item in enumerate(items)]
    products = tuple(DayProduct(r.get("name", str), r.get("sales", int), r.get("kg", int), r.get("rupiah", int))
                     for r in rows)
    values = {name: f.get(name, int) for name in (*DAY_COUNTS, *DAY_AMOUNTS)}
    return EndOfDayReceipt(header, _day(f.get("day", str)), products, **values)


# kind -> (keys besides kind and header, builder)
_KINDS: dict[ReceiptKind, tuple[set[str], Callable[[_Fields, Header], Receipt]]] = {
    ReceiptKind.SALE: ({"products", "tender", "contribution", "agent", "quota_left", "balance_after", "released"}, _sale),
    ReceiptKind.CONTRIBUTION: ({"contribution", "tender", "agent", "balance_after"}, _contribution_only),
    ReceiptKind.TOPUP: ({"amount", "balance_after"}, _topup),
    ReceiptKind.REVERSAL: ({"original_journal_id", "supervisor", "reason", "products", "refund_to",
                            "contribution_kept", "quota_left", "balance_after"}, _reversal),
    ReceiptKind.END_OF_DAY: ({"day", "products", *DAY_COUNTS, *DAY_AMOUNTS}, _end_of_day),
}


def receipt_from_dict(value: object) -> Receipt:
    """The receipt a dict describes, validated; :class:`InvalidReceipt` otherwise."""
    if not isinstance(value, dict):
        raise InvalidReceipt("receipt", "harus objek", "must be an object")
    kind_text = value.get("kind")
    kind = _enum(ReceiptKind, kind_text if isinstance(kind_text, str) else "", "kind")
    keys, build = _KINDS[kind]
    fields = _Fields(value, "receipt", keys | {"kind", "header"})
    return build(fields, _header(fields.get("header", dict)))
