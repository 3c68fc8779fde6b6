"""The reader side through the real stack: pcscd + vpcd + the card emulator process (issue 4)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator

import pytest

from card_reader.card import EKartuTani
from card_reader.errors import CardRefused, CardRemoved, NoCard, PinBlocked, ReaderUnavailable, WrongPin
from card_reader.monitor import MonitorHub
from card_reader.pcsc import PcscLink
from card_reader.pin import PinBlock
from card_reader.protocol import card as p
from card_reader.protocol.card import AuthMode
from card_reader.records import parse_records
from card_reader.session import EventKind, ReaderSession, SessionEvent
from card_reader.transport import Transport
from card_reader.verify import verify_card_signature, verify_issuer
from tests.support.devices import CardEmulatorProcess, IssuerKit, wait_for
from tests.support.pcsc import PrivatePcscd

OpenSessions = Callable[..., list[ReaderSession]]


@pytest.fixture
def open_sessions(card_emulator: CardEmulatorProcess) -> Iterator[OpenSessions]:
    """Sessions on the given readers, subscribed to one monitor hub started after them."""
    hub = MonitorHub(poll_s=0.2)
    sessions: list[ReaderSession] = []
    events: dict[int, list[SessionEvent]] = {}

    def open_(*readers: int) -> list[ReaderSession]:
        for reader in readers:
            events[reader] = []
            sessions.append(ReaderSession(hub, reader, on_event=events[reader].append))
        hub.start()
        wait_for(lambda: all(s.status().pcscd_up for s in sessions))
        return sessions

    open_.events = events  # type: ignore[attr-defined]
    yield open_
    for session in sessions:
        session.close()
    hub.close()


def insert(emulator: CardEmulatorProcess, session: ReaderSession, card_number: str, slot: int = 0) -> int:
    before = session.status().insertion
    emulator.insert(card_number, slot)
    status = wait_for(lambda: (s := session.status()).card_present and s.insertion != before and s)
    return int(status.insertion)


def test_happy_path(open_sessions: OpenSessions, card_emulator: CardEmulatorProcess, issuer_kit: IssuerKit) -> None:
    (session,) = open_sessions(0)
    card = issuer_kit.issue()
    insertion = insert(card_emulator, session, card.card_number)
    challenge = os.urandom(16)
    read = session.read_card(challenge)
    data = parse_records(read.records)
    assert (read.insertion, data.card_number, read.card_check.atc) == (insertion, card.card_number, 1)
    verify_issuer(data, issuer_kit.public_keys)
    verify_card_signature(data, AuthMode.CARD_CHECK, challenge, read.card_check)
    tx = os.urandom(16)
    answer = session.sign_transaction(insertion, PinBlock.from_pin(card.pin), tx)
    verify_card_signature(data, AuthMode.TRANSACTION, tx, answer)
    assert answer.atc == 2 and session.pin_tries_left(insertion) == 3


def test_three_wrong_pins_block_and_it_stays_blocked(open_sessions: OpenSessions, card_emulator: CardEmulatorProcess,
                                                     issuer_kit: IssuerKit) -> None:
    (session,) = open_sessions(0)
    card = issuer_kit.issue(pin="246810")
    insertion = insert(card_emulator, session, card.card_number)
    session.read_card(os.urandom(16))
    wrong = PinBlock.from_pin("111111")
    tries = []
    for _ in range(2):
        with pytest.raises(WrongPin) as err:
            session.sign_transaction(insertion, wrong, os.urandom(16))
        tries.append(err.value.fields["tries_left"])
    assert tries == [2, 1]
    with pytest.raises(PinBlocked):
        session.sign_transaction(insertion, wrong, os.urandom(16))
    with pytest.raises(PinBlocked):
        session.sign_transaction(insertion, PinBlock.from_pin("246810"), os.urandom(16))
    card_emulator.remove()
    wait_for(lambda: not session.status().card_present)
    insertion = insert(card_emulator, session, card.card_number)
    session.read_card(os.urandom(16))  # the card still identifies itself
    with pytest.raises(PinBlocked):
        session.sign_transaction(insertion, PinBlock.from_pin("246810"), os.urandom(16))
    assert card_emulator.card_state(card.card_number)["pin_tries_left"] == 0


def test_transaction_signature_without_verify_is_refused_by_the_card(
        pcscd_running: PrivatePcscd, card_emulator: CardEmulatorProcess, issuer_kit: IssuerKit) -> None:
    card = issuer_kit.issue()
    card_emulator.insert(card.card_number, 1)
    link = wait_for(lambda: _connect("Virtual PCD 00 01"))
    try:
        applet = EKartuTani(Transport(link))
        applet.select()
        with pytest.raises(CardRefused) as err:
            applet.authenticate(AuthMode.TRANSACTION, os.urandom(16))
        assert err.value.fields == {"sw": "6985", "status": "pin_not_verified"}
        assert applet.atc() == 0  # refused before the ATC moved
    finally:
        link.close()


def _connect(reader: str) -> PcscLink | None:
    try:
        return PcscLink(reader, exclusive=False)
    except NoCard:
        return None


def test_card_pulled_mid_session(open_sessions: OpenSessions, card_emulator: CardEmulatorProcess,
                                 issuer_kit: IssuerKit) -> None:
    (session,) = open_sessions(0)
    card = issuer_kit.issue()
    insertion = insert(card_emulator, session, card.card_number)
    session.read_card(os.urandom(16))
    card_emulator.remove()
    with pytest.raises(CardRemoved):  # at once: the card is gone before pcscd's next poll sees it
        session.sign_transaction(insertion, PinBlock.from_pin(card.pin), os.urandom(16))
    wait_for(lambda: not session.status().card_present)
    with pytest.raises(NoCard):
        session.read_card(os.urandom(16))
    insert(card_emulator, session, card.card_number)
    with pytest.raises(CardRemoved):  # a PIN for the old insertion never reaches the new one
        session.sign_transaction(insertion, PinBlock.from_pin(card.pin), os.urandom(16))
    kinds = [e.kind for e in open_sessions.events[0]]  # type: ignore[attr-defined]
    assert kinds == [EventKind.READER_BACK, EventKind.INSERTED, EventKind.REMOVED, EventKind.INSERTED]


@pytest.mark.slow
def test_pcscd_stopped_and_started(open_sessions: OpenSessions, card_emulator: CardEmulatorProcess,
                                   issuer_kit: IssuerKit, pcscd: PrivatePcscd) -> None:
    (session,) = open_sessions(0)
    card = issuer_kit.issue()
    insert(card_emulator, session, card.card_number)
    session.read_card(os.urandom(16))
    pcscd.stop()
    wait_for(lambda: not session.status().pcscd_up)
    with pytest.raises(ReaderUnavailable) as err:
        session.read_card(os.urandom(16))
    assert "pcscd" in err.value.message_en
    pcscd.start()
    wait_for(lambda: session.status().card_present, timeout=10)
    assert session.read_card(os.urandom(16)).card_check.atc == 2
    kinds = [e.kind for e in open_sessions.events[0]]  # type: ignore[attr-defined]
    assert kinds == [EventKind.READER_BACK, EventKind.INSERTED, EventKind.REMOVED, EventKind.READER_LOST,
                     EventKind.READER_BACK, EventKind.INSERTED]


def test_two_cards_in_two_readers_at_once(open_sessions: OpenSessions, card_emulator: CardEmulatorProcess,
                                          issuer_kit: IssuerKit) -> None:
    first, second = open_sessions(0, 1)
    cards = [issuer_kit.issue(), issuer_kit.issue()]
    insert(card_emulator, first, cards[0].card_number, 0)
    insert(card_emulator, second, cards[1].card_number, 1)
    results: dict[int, list[str]] = {0: [], 1: []}

    def work(index: int, session: ReaderSession) -> None:
        for _ in range(20):
            results[index].append(parse_records(session.read_card(os.urandom(16)).records).card_number)

    threads = [threading.Thread(target=work, args=(i, s)) for i, s in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == {0: [cards[0].card_number] * 20, 1: [cards[1].card_number] * 20}
    assert all(e.reader == "Virtual PCD 00 00" for e in open_sessions.events[0])  # type: ignore[attr-defined]


def test_get_response_and_wrong_le_through_pcscd(pcscd_running: PrivatePcscd, card_emulator: CardEmulatorProcess,
                                                 issuer_kit: IssuerKit, caplog: pytest.LogCaptureFixture) -> None:
    card = issuer_kit.issue()
    chunky = CardEmulatorProcess(issuer_kit.deck, pcscd_running, max_answer=32)  # a card that answers in pieces
    try:
        chunky.insert(card.card_number, 1)
        link = wait_for(lambda: _connect("Virtual PCD 00 01"))
        caplog.set_level(logging.DEBUG, logger="card_reader.apdu")
        try:
            applet = EKartuTani(Transport(link))
            applet.select()
            records = applet.read_records()
            assert parse_records(records).card_number == card.card_number
            assert len(records.record3) == 138
            answer = Transport(link).exchange(p.read_record(2, le=0x10))
            assert answer.ok and answer.data == records.record2
        finally:
            link.close()
        headers = [line.split("header=")[1][:8] for line in caplog.text.splitlines() if "header=" in line]
        assert "00c00000" in headers and "00b2020c" in headers
    finally:
        chunky.remove_all()
        chunky.stop()
