"""The emulated applet answers per DESIGN §6 and ISO 7816-4; its persistent state survives reloads."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from card_reader.protocol import card as p
from card_reader.protocol.card import AuthMode
from firmware_stubs.card.applet import FCI, Applet
from firmware_stubs.card.image import CardImage, load_image
from tests.card_reader.cards import make_card

SELECT = p.select_aid().hex()
CHALLENGE = "000102030405060708090A0B0C0D0E0F"


def new_applet(path: Path, max_answer: int = 256) -> Applet:
    card = make_card()
    image = CardImage(path, card.farmer.card_number, (card.records.record1, card.records.record2, card.records.record3),
                      card.card_key, "123456")
    image.save()
    return Applet(image, max_answer)


def run(applet: Applet, apdu: str) -> str:
    return applet.process(bytes.fromhex(apdu.replace(" ", ""))).hex().upper()


@pytest.fixture
def applet(tmp_path: Path) -> Applet:
    return new_applet(tmp_path / "card.json")


def test_select_returns_fci(applet: Applet) -> None:
    assert run(applet, SELECT) == FCI.hex().upper() + "9000"
    assert FCI.hex().upper().startswith("6F") and "8407F04B54414E4901" in FCI.hex().upper()


@pytest.mark.parametrize(
    ("apdu", "sw"),
    [
        ("00A4040007F04B54414E490200", "6A82"),  # another AID
        ("00A4000007F04B54414E490100", "6A86"),  # P1 not "by name"
        ("10A4040007F04B54414E490100", "6E00"),  # unknown class
        ("80A4040007F04B54414E490100", "6E00"),  # proprietary class on an ISO command
        ("00CA9F3600", "6E00"),  # GET DATA needs CLA 80
        ("00FF000000", "6D00"),  # unknown instruction
        ("00A404", "6700"),  # too short
        ("00A4040009F04B54414E490100", "6700"),  # Lc larger than the data
        ("00B2010C00", "6985"),  # READ RECORD before SELECT
        ("00C0000010", "6985"),  # GET RESPONSE with nothing pending
    ],
)
def test_status_words(applet: Applet, apdu: str, sw: str) -> None:
    assert run(applet, apdu)[-4:] == sw


@pytest.mark.parametrize(
    ("apdu", "sw"),
    [
        ("00B2040C00", "6A83"),  # no record 4
        ("00B2011400", "6A86"),  # P2 of another SFI
        ("00B2010C", "6700"),  # no Le
        ("00B2010C0100", "6700"),  # data on a case-2 command
        ("00880200" + "10" + CHALLENGE + "00", "6A86"),  # unknown auth mode
        ("00880000" + "08" + CHALLENGE[:16] + "00", "6700"),  # short challenge
        ("0020008108" + "26123456FFFFFFFF", "6A86"),  # VERIFY P2 not 80
        ("0020008007" + "26123456FFFFFF", "6700"),  # PIN block too short
        ("0020008008" + "16123456FFFFFFFF", "6A80"),  # not format 2
        ("80CA9F1000", "6A88"),  # unknown GET DATA tag
    ],
)
def test_status_words_after_select(applet: Applet, apdu: str, sw: str) -> None:
    run(applet, SELECT)
    assert run(applet, apdu)[-4:] == sw


def test_records_and_wrong_le(applet: Applet) -> None:
    run(applet, SELECT)
    for n in (1, 2, 3):
        out = run(applet, f"00B20{n}0C00")
        assert out.endswith("9000") and out[:-4] == applet.image.records[n - 1].hex().upper()
    length = len(applet.image.records[0])
    assert run(applet, "00B2010C10") == f"6C{length:02X}"
    assert run(applet, f"00B2010C{length:02X}").endswith("9000")


def test_long_answers_come_through_get_response(tmp_path: Path) -> None:
    applet = new_applet(tmp_path / "card.json", max_answer=32)
    run(applet, SELECT)
    record3 = applet.image.records[2].hex().upper()
    out = run(applet, "00B2030C00")
    assert out == record3[:64] + f"61{len(applet.image.records[2]) - 32:02X}"
    collected = out[:-4]
    while out[-4:-2] == "61":
        out = run(applet, "00C00000" + out[-2:])
        collected += out[:-4]
    assert collected == record3 and out.endswith("9000")


def test_case_4_without_le_waits_for_get_response(applet: Applet) -> None:
    out = run(applet, SELECT[:-2])
    assert out == f"61{len(FCI):02X}"
    assert run(applet, f"00C00000{len(FCI):02X}") == FCI.hex().upper() + "9000"


def test_pin_tries_persist_and_never_reset_by_themselves(tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    applet = new_applet(path)
    run(applet, SELECT)
    wrong = p.verify(p.pin_block("000000")).hex()
    assert [run(applet, wrong) for _ in range(3)] == ["63C2", "63C1", "63C0"]
    assert run(applet, p.verify(p.pin_block("123456")).hex()) == "6983"
    again = Applet(load_image(path))  # re-inserted, or the emulator restarted
    run(again, SELECT)
    assert run(again, p.verify(p.pin_block("123456")).hex()) == "6983"
    assert run(again, "80CA9F1700") == "009000"
    assert run(again, "00200080") == "6983"


def test_correct_pin_restores_the_counter(applet: Applet) -> None:
    run(applet, SELECT)
    assert run(applet, p.verify(p.pin_block("999999")).hex()) == "63C2"
    assert run(applet, "00200080") == "63C2"  # VERIFY without data: tries left
    assert run(applet, p.verify(p.pin_block("123456")).hex()) == "9000"
    assert run(applet, "80CA9F1700") == "039000"


def test_transaction_needs_verify_in_this_session_once(applet: Applet) -> None:
    run(applet, SELECT)
    auth = p.internal_authenticate(AuthMode.TRANSACTION, bytes(16)).hex()
    assert run(applet, auth) == "6985"
    assert run(applet, p.verify(p.pin_block("123456")).hex()) == "9000"
    assert run(applet, auth).endswith("9000")
    assert run(applet, auth) == "6985"  # one PIN, one signature
    run(applet, p.verify(p.pin_block("123456")).hex())
    applet.power_cycle()
    run(applet, SELECT)
    assert run(applet, auth) == "6985"  # a new card session forgets VERIFY


def test_atc_increments_and_persists(tmp_path: Path) -> None:
    path = tmp_path / "card.json"
    applet = new_applet(path)
    run(applet, SELECT)
    auth = p.internal_authenticate(AuthMode.CARD_CHECK, bytes(16)).hex()
    first, second = run(applet, auth), run(applet, auth)
    assert (first[:4], second[:4]) == ("0001", "0002") and len(first) == (2 + 64 + 2) * 2
    assert load_image(path).atc == 2
    assert run(applet, "80CA9F3600") == "00029000"


def test_exhausted_atc_refuses(applet: Applet) -> None:
    applet.image.atc = p.ATC_MAX
    run(applet, SELECT)
    assert run(applet, p.internal_authenticate(AuthMode.CARD_CHECK, bytes(16)).hex()) == "6985"


class AppletMachine(RuleBasedStateMachine):
    """The applet against a small model of its PIN counter, VERIFY state and ATC (STYLE habit 9)."""

    def __init__(self) -> None:
        super().__init__()
        self._tmp = tempfile.TemporaryDirectory(prefix="applet-sm-")
        self.dir = Path(self._tmp.name)

    @initialize()
    def fresh(self) -> None:
        self.applet = new_applet(self.dir / "card.json")
        self.tries, self.atc, self.verified, self.selected = 3, 0, False, False

    @rule()
    def select(self) -> None:
        assert run(self.applet, SELECT).endswith("9000")
        self.selected, self.verified = True, False

    @rule(correct=st.booleans())
    def verify(self, correct: bool) -> None:
        out = run(self.applet, p.verify(p.pin_block("123456" if correct else "654321")).hex())
        if not self.selected:
            assert out == "6985"
        elif self.tries == 0:
            assert out == "6983"
        elif correct:
            assert out == "9000"
            self.tries, self.verified = 3, True
        else:
            self.tries, self.verified = self.tries - 1, False
            assert out == f"63C{self.tries}"

    @rule(mode=st.sampled_from(list(AuthMode)))
    def authenticate(self, mode: AuthMode) -> None:
        out = run(self.applet, p.internal_authenticate(mode, bytes(16)).hex())
        if not self.selected or (mode is AuthMode.TRANSACTION and not self.verified):
            assert out == "6985"
            return
        self.atc += 1
        assert out.startswith(f"{self.atc:04X}") and out.endswith("9000")
        if mode is AuthMode.TRANSACTION:
            self.verified = False

    @rule()
    def reinsert(self) -> None:
        self.applet = Applet(load_image(self.dir / "card.json"))
        self.selected = self.verified = False

    def teardown(self) -> None:
        self._tmp.cleanup()

    @invariant()
    def persisted(self) -> None:
        if hasattr(self, "applet"):
            image = load_image(self.dir / "card.json")
            assert (image.pin_tries_left, image.atc) == (self.tries, self.atc)


AppletMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None,
                                           suppress_health_check=[HealthCheck.too_slow])
test_applet_state_machine = AppletMachine.TestCase
