"""The wire facts of DESIGN §6-7, pinned with hex fixtures."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from card_reader.protocol import card as p
from card_reader.protocol import pinpad as pp


@pytest.mark.parametrize(
    ("apdu", "expected"),
    [
        (p.select_aid(), "00A4040007F04B54414E490100"),
        (p.read_record(1), "00B2010C00"),
        (p.read_record(3), "00B2030C00"),
        (p.get_response(0x42), "00C0000042"),
        (p.internal_authenticate(p.AuthMode.CARD_CHECK, bytes(range(16))),
         "0088000010000102030405060708090A0B0C0D0E0F00"),
        (p.internal_authenticate(p.AuthMode.TRANSACTION, bytes(16)), "0088010010" + "00" * 17),
        (p.verify(p.pin_block("123456")), "002000800826123456FFFFFFFF"),
        (p.get_data(p.Tag.ATC), "80CA9F3600"),
        (p.get_data(p.Tag.PIN_TRY_COUNTER), "80CA9F1700"),
    ],
)
def test_command_apdus(apdu: bytes, expected: str) -> None:
    assert apdu.hex().upper() == expected


def test_builders_refuse_wrong_sizes() -> None:
    with pytest.raises(ValueError):
        p.internal_authenticate(p.AuthMode.CARD_CHECK, bytes(15))
    with pytest.raises(ValueError):
        p.verify(bytes(7))


@pytest.mark.parametrize(
    ("apdu", "cla", "ins", "data", "le"),
    [
        ("00A40400", 0x00, 0xA4, "", None),  # case 1
        ("00B2010C00", 0x00, 0xB2, "", 0),  # case 2
        ("002000800826123456FFFFFFFF", 0x00, 0x20, "26123456FFFFFFFF", None),  # case 3
        ("00A4040007F04B54414E490100", 0x00, 0xA4, "F04B54414E4901", 0),  # case 4
    ],
)
def test_parse_command_cases(apdu: str, cla: int, ins: int, data: str, le: int | None) -> None:
    cmd = p.parse_command(bytes.fromhex(apdu))
    assert (cmd.cla, cmd.ins, cmd.data.hex().upper(), cmd.le) == (cla, ins, data, le)


@pytest.mark.parametrize("apdu", ["", "00A404", "00A4040003F04B", "00A4040002F04B5400FF", "00A4040003F04B5400FF"])
def test_parse_command_refuses_malformed(apdu: str) -> None:
    with pytest.raises(p.ApduFormatError):
        p.parse_command(bytes.fromhex(apdu))


@given(st.binary(max_size=300))
def test_parse_command_never_crashes(data: bytes) -> None:
    try:
        cmd = p.parse_command(data)
    except p.ApduFormatError:
        return
    assert len(cmd.data) <= 255


def test_status_words_have_both_languages() -> None:
    for sw in (0x9000, 0x6700, 0x6982, 0x6983, 0x6985, 0x6A82, 0x6A83, 0x6A86, 0x6D00, 0x6E00):
        entry = p.describe_sw(sw)
        assert entry.message_id and entry.message_en and entry.name != "unknown"
    assert p.describe_sw(0x63C2).message_en == "Wrong PIN, 2 tries left."
    assert p.describe_sw(0x6110).name == "more_data"
    assert p.describe_sw(0x6C5F).name == "wrong_le"
    assert p.describe_sw(0x6B00).name == "unknown"


def test_pin_block_format_2() -> None:
    assert p.pin_block("1234").hex().upper() == "241234FFFFFFFFFF"
    assert p.pin_block("123456789012").hex().upper() == "2C123456789012FF"
    assert p.parse_pin_block(bytes.fromhex("26123456FFFFFFFF")) == "123456"


@pytest.mark.parametrize("pin", ["123", "1234567890123", "12a456", "", "１２３４"])
def test_pin_block_refuses_bad_pins(pin: str) -> None:
    with pytest.raises(ValueError):
        p.pin_block(pin)


@pytest.mark.parametrize("block", ["16123456FFFFFFFF", "26123456FFFFFF0F", "23123FFFFFFFFFFF", "2612345AFFFFFFFF", "2612"])
def test_parse_pin_block_refuses_malformed(block: str) -> None:
    with pytest.raises(ValueError):
        p.parse_pin_block(bytes.fromhex(block))


@given(st.text(alphabet="0123456789", min_size=4, max_size=12))
def test_pin_block_round_trip(pin: str) -> None:
    assert p.parse_pin_block(p.pin_block(pin)) == pin


def test_atr_check_byte() -> None:
    tck = 0
    for b in p.ATR[1:]:
        tck ^= b
    assert tck == 0 and p.ATR[:4].hex().upper() == "3B888001"


def test_signed_data_layout() -> None:
    assert p.auth_signed_data(p.AuthMode.TRANSACTION, bytes(16), 0x0102) == b"\x01" + bytes(16) + b"\x01\x02"
    assert p.issuer_signed_data(b"a", b"b", b"k") == b"abk"


# ---- PIN pad frames --------------------------------------------------------------------------


def test_frame_encoding() -> None:
    frame = pp.encode_frame(pp.status())
    assert frame.hex().upper() == "02000153" + "03" + f"{0x00 ^ 0x01 ^ 0x53 ^ 0x03:02X}"


def _feed_all(data: bytes) -> list[bytes]:
    reader, out = pp.FrameReader(), []
    for b in data:
        payload = reader.feed(b)
        if payload is not None:
            out.append(payload)
    return out


def test_frame_reader_round_trip() -> None:
    payload = pp.get_pin(30, 150_000, "Masukkan PIN")
    assert _feed_all(pp.encode_frame(payload)) == [payload]


@pytest.mark.parametrize(
    "frame",
    ["0200015303" + "00", "02000153FF51", "0200005303", "0201FF", "03"],
)
def test_frame_reader_refuses_corrupt(frame: str) -> None:
    with pytest.raises(pp.FrameError):
        _feed_all(bytes.fromhex(frame))


@given(st.binary(max_size=600))
def test_frame_reader_fuzz_only_frame_errors(data: bytes) -> None:
    reader = pp.FrameReader()
    for b in data:
        try:
            payload = reader.feed(b)
        except pp.FrameError:
            continue
        if payload is not None:
            assert 1 <= len(payload) <= pp.MAX_PAYLOAD


@given(st.integers(1, 120), st.integers(0, 10**15), st.text(max_size=20))
def test_get_pin_payload_round_trip(timeout_s: int, amount: int, prompt: str) -> None:
    request = pp.parse_get_pin(pp.get_pin(timeout_s, amount, prompt))
    assert (request.timeout_s, request.amount, request.prompt) == (timeout_s, amount, prompt)
