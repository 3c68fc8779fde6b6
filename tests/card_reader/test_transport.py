"""61xx and 6Cxx are handled once, in the transport; logs never carry a PIN block or records."""

from __future__ import annotations

import logging
import pickle
from collections import deque

import pytest

from card_reader.card import EKartuTani
from card_reader.errors import CardRefused, MalformedAnswer, PinBlocked, UnknownApplication, WrongPin
from card_reader.pin import PinBlock
from card_reader.protocol import card as p
from card_reader.transport import Link, Transport


class ScriptedLink:
    """A Link (same Protocol as PcscLink) answering from a script and recording what it was sent."""

    def __init__(self, *answers: str) -> None:
        self.answers = deque(bytes.fromhex(a) for a in answers)
        self.sent: list[str] = []

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.sent.append(apdu.hex().upper())
        answer = self.answers.popleft()
        return answer[:-2], int.from_bytes(answer[-2:], "big")


def test_scripted_link_is_a_link() -> None:
    link: Link = ScriptedLink()
    assert hasattr(link, "transmit")


def test_get_response_chain() -> None:
    link = ScriptedLink("0102" + "6103", "030405" + "6101", "06" + "9000")
    response = Transport(link).exchange(p.read_record(1))
    assert response.data.hex() == "010203040506" and response.ok
    assert link.sent == ["00B2010C00", "00C0000003", "00C0000001"]


def test_wrong_le_is_resent_once() -> None:
    link = ScriptedLink("6C05", "0102030405" + "9000")
    response = Transport(link).exchange(p.read_record(1, le=0x10))
    assert response.data.hex() == "0102030405"
    assert link.sent == ["00B2010C10", "00B2010C05"]


def test_wrong_le_twice_is_malformed() -> None:
    with pytest.raises(MalformedAnswer):
        Transport(ScriptedLink("6C05", "6C04")).exchange(p.read_record(1, le=0x10))


def test_endless_get_response_is_malformed() -> None:
    with pytest.raises(MalformedAnswer):
        Transport(ScriptedLink(*(["00" * 255 + "6100"] * 40))).exchange(p.read_record(1))


def test_logs_redact_pin_blocks_and_records(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="card_reader.apdu")
    record = "7006DF0203" + "414E44"  # a name
    link = ScriptedLink(record + "9000", "9000", "0001" + "AB" * 64 + "9000")
    card = EKartuTani(Transport(link))
    card.read_record(1)
    card.verify_pin(PinBlock.from_pin("123456"))
    card.authenticate(p.AuthMode.CARD_CHECK, bytes(16))
    text = caplog.text
    assert "26123456" not in text and "123456" not in text.replace("0123456", "")
    assert "414e44" not in text.lower()
    assert "header=00200080" in text and "header=00b2010c" in text
    assert "answer=0001abab" in text  # the authenticate answer is no secret


@pytest.mark.parametrize(
    ("sw", "error", "fields"),
    [("63C2", WrongPin, {"tries_left": 2}), ("63C0", PinBlocked, {}), ("6983", PinBlocked, {}),
     ("6A80", CardRefused, {"sw": "6A80", "status": "wrong_data", "command": "verify"})],
)
def test_verify_status_words(sw: str, error: type[Exception], fields: dict[str, object]) -> None:
    with pytest.raises(error) as err:
        EKartuTani(Transport(ScriptedLink(sw))).verify_pin(PinBlock.from_pin("0000"))
    assert err.value.fields == fields  # type: ignore[attr-defined]


def test_transaction_without_verify_is_a_clear_refusal() -> None:
    with pytest.raises(CardRefused) as err:
        EKartuTani(Transport(ScriptedLink("6985"))).authenticate(p.AuthMode.TRANSACTION, bytes(16))
    assert err.value.fields["status"] == "pin_not_verified"
    assert "PIN" in err.value.message_id and "PIN" in err.value.message_en


@pytest.mark.parametrize("answer", ["6A82", "6D00", "6E00", "6F0784059999999999" + "9000"])
def test_select_of_another_application(answer: str) -> None:
    with pytest.raises(UnknownApplication):
        EKartuTani(Transport(ScriptedLink(answer))).select()


def test_pin_block_never_shows_itself() -> None:
    block = PinBlock.from_pin("123456")
    assert "123456" not in repr(block) + str(block) + f"{block}"
    with pytest.raises(TypeError):
        pickle.dumps(block)
