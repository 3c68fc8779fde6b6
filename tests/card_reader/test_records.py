"""Records as personalised, parsed strictly; personal data masked in every repr."""

from __future__ import annotations

from datetime import date

import pytest

from card_reader import tlv
from card_reader.errors import MalformedAnswer
from card_reader.records import CardRecords, expiry_from_yymm, mask_card_number, mask_nik, parse_records
from tests.card_reader.cards import make_card


def test_parse_personalised_records() -> None:
    card = make_card(name="Hj. Andi Besse Tenri")
    data = parse_records(card.records)
    assert (data.card_number, data.nik, data.name) == ("6013010000000001", "7312010101800001", "Hj. Andi Besse Tenri")
    assert (data.expiry, data.birth_date) == (date(2030, 12, 31), date(1980, 1, 1))
    assert (data.village_code, data.group_code, data.issuer_id) == ("7312010001", "KT-SIPAKAINGE", "BRI-7312")
    assert len(data.card_public_key) == 65 and len(data.issuer_signature) == 64


def test_record_sizes_fit_short_apdus() -> None:
    sizes = [len(r) for r in make_card(name="Hj. Andi Besse Tenri Ajeng binti La Mappasessu").records.as_list()]
    assert all(s <= 256 for s in sizes) and sizes[2] == 138


def test_repr_masks_personal_data() -> None:
    data = parse_records(make_card().records)
    text = repr(data) + str(data)
    assert "7312********0001" in text and "601301******0001" in text
    assert "7312010101800001" not in text and "La Baco" not in text and "6013010000000001" not in text


def test_masking() -> None:
    assert mask_nik("7312010101800001") == "7312********0001"
    assert mask_card_number("6013010000000001") == "601301******0001"
    assert mask_nik("123") == "***"


def _replace_record(records: CardRecords, number: int, raw: bytes) -> CardRecords:
    parts = records.as_list()
    parts[number - 1] = raw
    return CardRecords(*parts)


@pytest.mark.parametrize(
    ("number", "items"),
    [
        (1, [(0x5A, bytes.fromhex("601301000000000A")), (0x5F24, bytes.fromhex("301231")), (0xDF01, bytes(8)),
             (0xDF02, b"X"), (0xDF03, bytes.fromhex("19800101"))]),  # card number not BCD
        (1, [(0x5A, bytes(8)), (0x5F24, bytes.fromhex("301331")), (0xDF01, bytes(8)), (0xDF02, b"X"),
             (0xDF03, bytes.fromhex("19800101"))]),  # month 13
        (1, [(0x5A, bytes(8)), (0x5F24, bytes.fromhex("301231")), (0xDF01, bytes(8)), (0xDF02, b" X"),
             (0xDF03, bytes.fromhex("19800101"))]),  # padded name
        (1, [(0x5A, bytes(8)), (0x5F24, bytes.fromhex("301231")), (0xDF01, bytes(8)), (0xDF02, b"\xff"),
             (0xDF03, bytes.fromhex("19800101"))]),  # not UTF-8
        (1, [(0x5A, bytes(8)), (0x5F24, bytes.fromhex("301231")), (0xDF01, bytes(8)), (0xDF02, b"X")]),  # missing
        (2, [(0xDF04, b"73120100"), (0xDF05, b"KT"), (0xDF06, b"BRI-7312")]),  # village too short
        (2, [(0xDF04, b"7312010001"), (0xDF05, b"KT;DROP"), (0xDF06, b"BRI-7312")]),  # group charset
        (2, [(0xDF04, b"7312010001"), (0xDF05, b"KT"), (0xDF06, b"bri")]),  # issuer id charset
        (3, [(0xDF10, b"\x04" + bytes(63)), (0xDF11, bytes(64))]),  # short key
        (3, [(0xDF10, b"\x02" + bytes(64)), (0xDF11, bytes(64))]),  # compressed point marker
        (3, [(0xDF10, b"\x04" + bytes(64)), (0xDF11, bytes(70))]),  # DER-sized signature
    ],
)
def test_malformed_records(number: int, items: list[tuple[int, bytes]]) -> None:
    records = _replace_record(make_card().records, number, tlv.encode_template(0x70, items))
    with pytest.raises(MalformedAnswer):
        parse_records(records)


@pytest.mark.parametrize("raw", ["", "6F00", "7000", "70025A", "7003DF0100" + "00"])
def test_malformed_templates(raw: str) -> None:
    with pytest.raises(MalformedAnswer):
        parse_records(_replace_record(make_card().records, 2, bytes.fromhex(raw)))


def test_expiry_from_yymm() -> None:
    assert expiry_from_yymm("2802") == date(2028, 2, 29)
    for bad in ("2813", "28", "abcd"):
        with pytest.raises(ValueError):
            expiry_from_yymm(bad)
