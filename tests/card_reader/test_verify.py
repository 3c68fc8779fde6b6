"""Genuine or not: issuer signature, card signature, ATC, expiry (DESIGN §6)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from card_reader import tlv
from card_reader.errors import Expired, MalformedAnswer, NotAuthentic
from card_reader.protocol.card import AuthMode
from card_reader.records import CardRecords, parse_records
from card_reader.verify import (
    AuthAnswer,
    check_atc,
    check_expiry,
    parse_auth_answer,
    verify_card_signature,
    verify_issuer,
)
from tests.card_reader.cards import make_card

CHALLENGE = bytes(range(16))


def test_genuine_card_passes() -> None:
    card = make_card()
    data = parse_records(card.records)
    verify_issuer(data, card.issuer_keys)
    for mode in AuthMode:
        verify_card_signature(data, mode, CHALLENGE, card.answer(mode, CHALLENGE))


def test_edited_record_fails_the_issuer_signature() -> None:
    card = make_card(name="La Baco")
    r1 = card.records.record1.replace(b"La Baco", b"La Bacu")
    data = parse_records(CardRecords(r1, card.records.record2, card.records.record3))
    with pytest.raises(NotAuthentic) as err:
        verify_issuer(data, card.issuer_keys)
    assert err.value.fields["reason"] == "issuer_signature"


def test_swapped_key_fails_the_issuer_signature() -> None:
    card, other = make_card(), make_card()
    data = parse_records(CardRecords(card.records.record1, card.records.record2, other.records.record3))
    with pytest.raises(NotAuthentic):
        verify_issuer(data, card.issuer_keys)


def test_another_issuer_fails() -> None:
    card = make_card()
    data = parse_records(card.records)
    with pytest.raises(NotAuthentic):
        verify_issuer(data, {"BRI-7312": ec.generate_private_key(ec.SECP256R1()).public_key()})
    with pytest.raises(NotAuthentic) as err:
        verify_issuer(data, {})
    assert err.value.fields["reason"] == "unknown_issuer"


def test_copied_card_with_another_key_fails_authenticate() -> None:
    card = make_card()
    data = parse_records(card.records)
    card.card_key = ec.generate_private_key(ec.SECP256R1())  # the copy: same records, its own key
    with pytest.raises(NotAuthentic) as err:
        verify_card_signature(data, AuthMode.CARD_CHECK, CHALLENGE, card.answer(AuthMode.CARD_CHECK, CHALLENGE))
    assert err.value.fields["reason"] == "card_signature"


def test_signature_is_bound_to_mode_challenge_and_atc() -> None:
    card = make_card()
    data = parse_records(card.records)
    answer = card.answer(AuthMode.CARD_CHECK, CHALLENGE)
    for mode, challenge, atc in ((AuthMode.TRANSACTION, CHALLENGE, answer.atc), (AuthMode.CARD_CHECK, bytes(16), answer.atc),
                                 (AuthMode.CARD_CHECK, CHALLENGE, answer.atc + 1)):
        with pytest.raises(NotAuthentic):
            verify_card_signature(data, mode, challenge, AuthAnswer(atc, answer.signature))


def test_garbage_key_or_signature_is_not_authentic() -> None:
    card = make_card()
    parts = dict(tlv.children_by_tag(tlv.decode_one(card.records.record3, 0x70), (0xDF10, 0xDF11)))
    bad_point = tlv.encode_template(0x70, [(0xDF10, b"\x04" + b"\x01" * 64), (0xDF11, parts[0xDF11])])
    data = parse_records(CardRecords(card.records.record1, card.records.record2, bad_point))
    with pytest.raises(NotAuthentic):
        verify_card_signature(data, AuthMode.CARD_CHECK, CHALLENGE, AuthAnswer(1, bytes(64)))
    with pytest.raises(NotAuthentic):
        verify_card_signature(parse_records(card.records), AuthMode.CARD_CHECK, CHALLENGE, AuthAnswer(1, b"\xff" * 64))


def test_atc_must_move_forward() -> None:
    check_atc(None, 0)
    check_atc(4, 5)
    for seen, atc in ((5, 5), (5, 4)):
        with pytest.raises(NotAuthentic) as err:
            check_atc(seen, atc)
        assert err.value.fields == {"reason": "atc_replay", "atc": atc, "highest_seen": seen}


def test_parse_auth_answer() -> None:
    answer = parse_auth_answer(b"\x01\x02" + bytes(64))
    assert answer.atc == 0x0102 and answer.to_bytes() == b"\x01\x02" + bytes(64)
    assert "signature" not in repr(answer)
    for size in (0, 65, 67):
        with pytest.raises(MalformedAnswer):
            parse_auth_answer(bytes(size))


def test_expiry_is_end_of_month_in_wita() -> None:
    data = parse_records(make_card(expiry=date(2030, 12, 31)).records)
    check_expiry(data, datetime(2030, 12, 31, 15, 59, tzinfo=UTC))  # 23:59 WITA
    with pytest.raises(Expired):
        check_expiry(data, datetime(2030, 12, 31, 16, 0, tzinfo=UTC))  # 00:00 WITA, next day
    with pytest.raises(ValueError):
        check_expiry(data, datetime(2030, 1, 1))
