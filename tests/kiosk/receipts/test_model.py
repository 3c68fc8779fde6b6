"""Receipt values: validation with bilingual errors, formats, the QR payload and the JSON codec."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from kiosk.receipts import (
    Contribution,
    Farmer,
    InvalidReceipt,
    ProductLine,
    Proof,
    YearMonth,
    as_copy,
    parse_qr_payload,
    qr_payload,
    receipt_from_dict,
    receipt_to_dict,
)
from kiosk.receipts.layout import kilograms, rupiah, wita
from tests.kiosk.receipts.samples import (
    ENTRY_HASH,
    HEADER,
    JOURNAL,
    SALE,
    SAMPLES,
    TOPUP,
)


def test_rupiah_kilograms_and_wita_formats() -> None:
    assert rupiah(16800) == "Rp 16.800" and rupiah(0) == "Rp 0" and rupiah(1234567890) == "Rp 1.234.567.890"
    assert kilograms(1000) == "1.000 kg" and kilograms(5) == "5 kg"
    assert wita(datetime(2026, 12, 4, 6, 5, tzinfo=UTC)) == "04-12-2026 14:05 WITA"
    jakarta = timezone(timedelta(hours=7))
    assert wita(datetime(2026, 12, 31, 23, 30, tzinfo=jakarta)) == "01-01-2027 00:30 WITA"


def test_totals_and_paid_through() -> None:
    assert SALE.total == 50 * 1800 + 25 * 2640 + 2 * 16800 == 189600
    assert SALE.contribution is not None and str(SALE.contribution.paid_through) == "01-2027"
    assert Contribution("23071234567", 12, 16800, YearMonth(2026, 2)).paid_through == YearMonth(2027, 1)
    assert TOPUP.total == 100000


@pytest.mark.parametrize("build, field", [
    (lambda: Farmer("La Baco", "7312345678900001"), "farmer.masked_nik"),  # a full NIK never enters
    (lambda: Farmer("", "7312********0001"), "farmer.name"),
    (lambda: Farmer("La\nBaco", "7312********0001"), "farmer.name"),
    (lambda: ProductLine("Urea", 0, 1800), "product.kg"),
    (lambda: ProductLine("Urea", 10, 1800.0), "product.het"),  # type: ignore[arg-type]
    (lambda: ProductLine("Urea", True, 1800), "product.kg"),
    (lambda: Contribution("23071234567", 13, 16800, YearMonth(2026, 1)), "contribution.months"),
    (lambda: Contribution("kpj?", 1, 16800, YearMonth(2026, 1)), "contribution.kpj"),
    (lambda: YearMonth(2026, 13), "month"),
    (lambda: Proof(JOURNAL, b"short"), "entry_hash"),
    (lambda: dataclasses.replace(HEADER, at=datetime(2026, 12, 4, 14, 5)), "at"),
    (lambda: dataclasses.replace(SALE, products=()), "products"),
    (lambda: dataclasses.replace(TOPUP, balance_after=99999), "balance_after"),
])
def test_invalid_values_are_refused_with_both_languages(build: Any, field: str) -> None:
    with pytest.raises(InvalidReceipt) as caught:
        build()
    assert caught.value.fields["field"] == field
    assert caught.value.message_id.startswith("Data struk tidak sah") and caught.value.message_en.startswith("Invalid")
    assert caught.value.to_dict()["code"] == "invalid_receipt"


def test_qr_payload_round_trip_and_format() -> None:
    payload = qr_payload(Proof(JOURNAL, ENTRY_HASH))
    assert payload == f"sutasoma:r?j={JOURNAL}&h={ENTRY_HASH.hex()}"
    assert len(payload) == 116
    assert parse_qr_payload(payload) == Proof(JOURNAL, ENTRY_HASH)
    for bad in ("", "sutasoma:r?j=x&h=y", payload.upper(), payload + "0", "https://example.org/?" + payload):
        with pytest.raises(InvalidReceipt):
            parse_qr_payload(bad)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_codec_round_trip(name: str) -> None:
    receipt = SAMPLES[name]
    assert receipt_from_dict(receipt_to_dict(receipt)) == receipt


def test_copy_is_marked_in_the_header_only() -> None:
    copy = as_copy(SALE)
    assert copy.header.copy and not SALE.header.copy
    assert dataclasses.replace(copy, header=SALE.header) == SALE


def _broken(change: Any) -> dict[str, Any]:
    data = receipt_to_dict(SALE)
    change(data)
    return data


@pytest.mark.parametrize("change, field", [
    (lambda d: d.update(kind="gift"), "kind"),
    (lambda d: d.update(extra=1), "receipt"),
    (lambda d: d["header"].update(at="2026-12-04T14:05:00"), "at"),  # no zone
    (lambda d: d["header"].update(at="yesterday"), "header.at"),
    (lambda d: d["header"].update(entry_hash="zz" * 32), "header.entry_hash"),
    (lambda d: d["header"].update(journal_id="nope"), "header.journal_id"),
    (lambda d: d["header"]["farmer"].update(masked_nik="7312345678900001"), "farmer.masked_nik"),
    (lambda d: d["products"][0].update(kg="50"), "products[0].kg"),
    (lambda d: d["products"][0].update(kg=True), "products[0].kg"),
    (lambda d: d.update(products={}), "receipt.products"),
    (lambda d: d.update(tender="credit"), "tender"),
    (lambda d: d["contribution"].update(first_month="12-2026"), "contribution.first_month"),
    (lambda d: d.pop("header"), "receipt.header"),
])
def test_codec_refuses_malformed_input_naming_the_field(change: Any, field: str) -> None:
    with pytest.raises(InvalidReceipt) as caught:
        receipt_from_dict(_broken(change))
    assert caught.value.fields["field"] == field


def test_codec_refuses_non_objects() -> None:
    values: tuple[object, ...] = (None, [], "sale", 3)
    for value in values:
        with pytest.raises(InvalidReceipt):
            receipt_from_dict(value)
    assert isinstance(receipt_from_dict(receipt_to_dict(SALE)).header.proof.journal_id, uuid.UUID)
