"""Strict BER-TLV: whole parses or TlvError, never a partial parse."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from card_reader import tlv


def test_decodes_a_record_template() -> None:
    (record,) = tlv.decode(bytes.fromhex("70105A0860130100000000015F2403301231"))
    assert record.tag == 0x70 and record.children is not None
    assert [(c.tag, c.value.hex()) for c in record.children] == [(0x5A, "6013010000000001"), (0x5F24, "301231")]


def test_long_lengths() -> None:
    value = bytes(200)
    encoded = tlv.encode(0xDF10, value)
    assert encoded[:4].hex().upper() == "DF1081C8"
    assert tlv.decode(encoded)[0].value == value
    assert tlv.encode(0x04, bytes(300))[:4].hex() == "0482012c"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ("5A08601301", "value runs past the end"),
        ("5A", "truncated length"),
        ("5A0160FF", "padding after the object"),
        ("005A0160", "padding before the object"),
        ("5A810160", "non-minimal length"),
        ("5A82000160", "non-minimal two-byte length"),
        ("5A8001", "indefinite length"),
        ("5A83000001AA", "three length bytes"),
        ("DF", "truncated tag"),
        ("DF8001" + "0100", "non-minimal tag"),
        ("DFFFFF0100", "four-byte tag"),
        ("7003" + "5A0260", "child runs past the template"),
    ],
)
def test_malformed_input_raises(data: str, why: str) -> None:
    with pytest.raises(tlv.TlvError):
        tlv.decode(bytes.fromhex(data))


def test_children_by_tag_is_exact() -> None:
    template = tlv.decode_one(bytes.fromhex("70075A01015F2401FF"), 0x70)
    assert tlv.children_by_tag(template, (0x5A, 0x5F24)) == {0x5A: b"\x01", 0x5F24: b"\xff"}
    for expected in ((0x5A,), (0x5A, 0x5F24, 0xDF01)):
        with pytest.raises(tlv.TlvError):
            tlv.children_by_tag(template, expected)
    duplicate = tlv.decode_one(bytes.fromhex("70065A01015A0102"), 0x70)
    with pytest.raises(tlv.TlvError, match="duplicate"):
        tlv.children_by_tag(duplicate, (0x5A,))


def test_decode_one_refuses_extra_objects() -> None:
    with pytest.raises(tlv.TlvError):
        tlv.decode_one(bytes.fromhex("700070 00".replace(" ", "")), 0x70)


primitive_tags = st.sampled_from([0x5A, 0x50, 0x84, 0x5F24, 0x9F36, 0xDF01, 0xDF10])


@given(st.lists(st.tuples(primitive_tags, st.binary(max_size=300)), max_size=5))
def test_round_trip(items: list[tuple[int, bytes]]) -> None:
    encoded = b"".join(tlv.encode(t, v) for t, v in items)
    assert [(o.tag, o.value) for o in tlv.decode(encoded)] == items


@given(st.binary(max_size=400))
def test_fuzz_only_tlv_errors(data: bytes) -> None:
    try:
        objects = tlv.decode(data)
    except tlv.TlvError:
        return
    assert sum(len(tlv.encode(o.tag, o.value)) for o in objects) == len(data)
