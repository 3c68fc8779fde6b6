"""Hypothesis-fuzzed card answers: whatever a card (or a broken reader) says, the reader side
raises only CardErrors, never anything else, and never loops (DESIGN §6; issue 4)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from card_reader.card import EKartuTani
from card_reader.errors import CardError
from card_reader.pin import PinBlock
from card_reader.protocol.card import AuthMode
from card_reader.records import parse_records
from card_reader.transport import Transport
from card_reader.verify import verify_card_signature, verify_issuer
from firmware_stubs.card.applet import Applet
from firmware_stubs.card.image import CardImage
from tests.card_reader.cards import make_card

CARD = make_card()
GENUINE = [CARD.records.record1, CARD.records.record2, CARD.records.record3]

status_words = st.one_of(
    st.sampled_from([0x9000, 0x6100, 0x6110, 0x6C00, 0x6C05, 0x63C1, 0x63C0, 0x6983, 0x6985, 0x6A82, 0x6700]),
    st.integers(0, 0xFFFF),
)
answers = st.tuples(
    st.one_of(st.binary(max_size=300), st.sampled_from(GENUINE), st.builds(lambda r, i: r[:i], st.sampled_from(GENUINE),
                                                                           st.integers(0, 140))),
    status_words,
)


@pytest.fixture(scope="module")
def applet(tmp_path_factory: pytest.TempPathFactory) -> Applet:
    path = tmp_path_factory.mktemp("fuzz") / "card.json"
    return Applet(CardImage(path, CARD.farmer.card_number, (GENUINE[0], GENUINE[1], GENUINE[2]), CARD.card_key,
                            CARD.farmer.pin, 3, 0))


class FuzzLink:
    """Each answer is either the genuine applet's (so fuzzing reaches deep steps) or Hypothesis's.
    A fixed budget stands in for a card that keeps talking."""

    def __init__(self, data: st.DataObject, applet: Applet) -> None:
        self.data = data
        self.calls = 0
        self.applet = applet
        applet.power_cycle()
        applet.image.pin_tries_left, applet.image.atc = 3, 0

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.calls += 1
        assert self.calls < 200, "the reader side looped"
        if self.data.draw(st.integers(0, 3)):
            out = self.applet.process(apdu)
            return out[:-2], int.from_bytes(out[-2:], "big")
        return self.data.draw(answers)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_fuzzed_answers_raise_only_card_errors(applet: Applet, data: st.DataObject) -> None:
    card = EKartuTani(Transport(FuzzLink(data, applet)))
    try:
        card.select()
        parsed = parse_records(card.read_records())
        verify_issuer(parsed, CARD.issuer_keys)
        verify_card_signature(parsed, AuthMode.CARD_CHECK, bytes(16), card.authenticate(AuthMode.CARD_CHECK, bytes(16)))
        card.verify_pin(PinBlock.from_pin("123456"))
        card.authenticate(AuthMode.TRANSACTION, bytes(16))
        card.atc()
        card.pin_tries_left()
    except CardError as exc:
        assert exc.code and exc.message_id and exc.message_en
