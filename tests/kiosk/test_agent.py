"""The device agent through the real stack (pcscd + vpcd + card emulator + PIN pad on a pty),
with the web side verifying what it returns (issue 4)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from card_reader import CardError, CardRemoved, NotAuthentic, PinBlocked, ReaderUnavailable, WrongPin
from card_reader.errors import DeviceBusy, PinEntryCancelled, PinEntryTimeout
from kiosk.agent.client import AgentClient
from kiosk.agent.errors import AgentRefused, NoPrinter
from kiosk.cards import highest_atc, new_challenge, verify_card_read, verify_transaction
from ledger.storage import create_engine
from tests.support.devices import (  # noqa: F401
    AgentProcess,
    CardEmulatorProcess,
    IssuedCard,
    IssuerKit,
    PinPadProcess,
    agent,
    card_emulator,
    card_emulator_process,
    issuer_kit,
    pcscd,
    pcscd_running,
    pinpad,
    pinpad_process,
    pty_pair,
    wait_for,
)
from tests.kiosk.receipts.samples import SALE
from tests.support.pcsc import PrivatePcscd


@pytest.fixture
def web_db(sqlite_databases: object) -> Iterator[sa.Engine]:
    url = sqlite_databases.create()  # type: ignore[attr-defined]
    engine = create_engine(url)
    yield engine
    engine.dispose()
    sqlite_databases.drop(url)  # type: ignore[attr-defined]


@pytest.fixture
def client(agent: AgentProcess) -> Iterator[AgentClient]:
    with AgentClient(agent.url, agent.token) as c:
        yield c


def insert(emulator: CardEmulatorProcess, client: AgentClient, card_number: str) -> int:
    cursor = client.status()["events"]["cursor"]
    emulator.insert(card_number, 0)
    while True:
        events, cursor = client.events(cursor, wait=5)
        inserted = [e for e in events if e.kind == "inserted"]
        if inserted:
            return int(inserted[-1].insertion or 0)
        assert events, "no card event within 5 s"


def remove(emulator: CardEmulatorProcess, client: AgentClient) -> None:
    emulator.remove(0)
    wait_for(lambda: not client.status()["reader"]["card_present"])


def read_and_verify(client: AgentClient, engine: sa.Engine, kit: IssuerKit):  # type: ignore[no-untyped-def]
    challenge = new_challenge()
    read = client.read_card(challenge)
    with Session(engine) as session, session.begin():
        return verify_card_read(session, read.records, read.card_check, challenge, kit.public_keys,
                                insertion=read.insertion)


def pin(client: AgentClient, insertion: int, challenge: bytes, timeout_s: int = 10):  # type: ignore[no-untyped-def]
    op = client.start_pin(insertion, challenge, 166_800, "PIN", timeout_s)
    return client.wait_pin(op, timeout_s + 5, poll_s=0.01)


def test_status_token_and_bad_requests(agent: AgentProcess, client: AgentClient) -> None:
    status = client.status()
    assert status["pcscd"]["up"] and status["reader"]["name"] == "Virtual PCD 00 00"
    assert status["pinpad"]["connected"] and status["printer"] is None
    with AgentClient(agent.url, "wrong-token") as intruder, pytest.raises(AgentRefused) as err:
        intruder.status()
    assert err.value.fields["field"] == "authorization"
    raw = httpx.post(agent.url + "/v1/card/read", json={"challenge": "zz"},
                     headers={"Authorization": f"Bearer {agent.token}"})
    assert raw.status_code == 400
    assert raw.json()["error"]["fields"]["field"] == "challenge" and raw.json()["error"]["message_id"]
    with pytest.raises(AgentRefused):
        client.pin_operation("no-such-operation")
    assert httpx.get(agent.url + "/v2/nothing", headers={"Authorization": f"Bearer {agent.token}"}).status_code == 404
    for body in ({"insertion": 1, "challenge": "00" * 16, "amount": -1, "timeout_s": 5},
                 {"insertion": 1, "challenge": "00" * 16, "amount": 1, "timeout_s": 500},
                 {"insertion": True, "challenge": "00" * 16, "amount": 1, "timeout_s": 5}):
        assert httpx.post(agent.url + "/v1/pin", json=body,
                          headers={"Authorization": f"Bearer {agent.token}"}).status_code == 400


def test_happy_path(client: AgentClient, card_emulator: CardEmulatorProcess, pinpad: PinPadProcess,
                    issuer_kit: IssuerKit, web_db: sa.Engine) -> None:
    card = issuer_kit.issue()
    insertion = insert(card_emulator, client, card.card_number)
    verified = read_and_verify(client, web_db, issuer_kit)
    assert verified.card_number == card.card_number and verified.insertion == insertion
    pinpad.queue_pin(card.pin)
    challenge = new_challenge()
    answer = pin(client, insertion, challenge)
    with Session(web_db) as session, session.begin():
        consent = verify_transaction(session, verified, challenge, answer.atc, answer.signature)
    assert consent.atc == 2 and pinpad.status()["amount"] == 0  # the pad is idle again
    with Session(web_db) as session:
        assert highest_atc(session, card.card_number) == 2


def test_three_wrong_pins_then_blocked_even_after_reinsert(client: AgentClient, card_emulator: CardEmulatorProcess,
                                                           pinpad: PinPadProcess, issuer_kit: IssuerKit) -> None:
    card = issuer_kit.issue(pin="135790")
    insertion = insert(card_emulator, client, card.card_number)
    client.read_card(new_challenge())
    outcomes: list[object] = []
    for _ in range(3):
        pinpad.queue_pin("000000")
        with pytest.raises((WrongPin, PinBlocked)) as err:
            pin(client, insertion, new_challenge())
        outcomes.append(err.value.fields.get("tries_left", "blocked"))
    assert outcomes == [2, 1, "blocked"]
    remove(card_emulator, client)
    insertion = insert(card_emulator, client, card.card_number)
    client.read_card(new_challenge())
    pinpad.queue_pin(card.pin)
    with pytest.raises(PinBlocked) as blocked:
        pin(client, insertion, new_challenge())
    assert "3" in blocked.value.message_id and "bank" in blocked.value.message_en


def _variant(card: IssuedCard, kit: IssuerKit, number: str, change: str) -> str:
    image = json.loads(card.path.read_text())
    image["card_number"] = number
    if change == "edited":  # the name in record 1 changed after the issuer signed it
        record1 = bytes.fromhex(image["records"][0])
        image["records"][0] = record1.replace(b"La Baco", b"La Bacu").hex()
    else:  # a copy of the records in a card with a key of its own
        key = ec.generate_private_key(ec.SECP256R1())
        image["card_private_key"] = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()).decode()
    (kit.deck / f"{number}.json").write_text(json.dumps(image))
    return number


@pytest.mark.parametrize(("change", "reason"), [("edited", "issuer_signature"), ("copied", "card_signature")])
def test_edited_and_copied_cards_are_not_authentic(client: AgentClient, card_emulator: CardEmulatorProcess,
                                                   issuer_kit: IssuerKit, web_db: sa.Engine, change: str,
                                                   reason: str) -> None:
    card = issuer_kit.issue()
    fake = _variant(card, issuer_kit, f"6019{os.getpid() % 10**6:06d}{len(change):06d}", change)
    insert(card_emulator, client, fake)
    with pytest.raises(NotAuthentic) as err:
        read_and_verify(client, web_db, issuer_kit)
    assert err.value.fields["reason"] == reason
    with Session(web_db) as session:
        assert highest_atc(session, card.card_number) is None


def test_replayed_and_stepped_back_atc(client: AgentClient, card_emulator: CardEmulatorProcess, pinpad: PinPadProcess,
                                       issuer_kit: IssuerKit, web_db: sa.Engine) -> None:
    card = issuer_kit.issue()
    clone_number = f"6018{os.getpid() % 10**6:06d}000001"
    shutil.copy(card.path, issuer_kit.deck / f"{clone_number}.json")  # a clone made before the card was used
    insert(card_emulator, client, card.card_number)
    challenge = new_challenge()
    read = client.read_card(challenge)
    with Session(web_db) as session, session.begin():
        verify_card_read(session, read.records, read.card_check, challenge, issuer_kit.public_keys)
    with Session(web_db) as session, session.begin(), pytest.raises(NotAuthentic) as replay:
        verify_card_read(session, read.records, read.card_check, challenge, issuer_kit.public_keys)  # replayed answer
    assert replay.value.fields["reason"] == "atc_replay"
    read_and_verify(client, web_db, issuer_kit)  # the real card goes on: ATC 2
    remove(card_emulator, client)
    insert(card_emulator, client, clone_number)
    with pytest.raises(NotAuthentic) as stepped:
        read_and_verify(client, web_db, issuer_kit)  # genuine key, but its ATC steps back to 1
    assert stepped.value.fields == {"reason": "atc_replay", "atc": 1, "highest_seen": 2}


def test_card_pulled_during_pin_entry(client: AgentClient, card_emulator: CardEmulatorProcess, pinpad: PinPadProcess,
                                      issuer_kit: IssuerKit) -> None:
    card = issuer_kit.issue()
    insertion = insert(card_emulator, client, card.card_number)
    client.read_card(new_challenge())
    pinpad.queue_pin(card.pin, delay_s=1.0)
    op = client.start_pin(insertion, new_challenge(), 1, "PIN", 10)
    card_emulator.remove(0)
    with pytest.raises(CardRemoved):
        client.wait_pin(op, 15)
    with pytest.raises(CardRemoved):  # and a PIN for that insertion is refused before the pad is asked
        client.start_pin(insertion, new_challenge(), 1, "PIN", 10)
    assert card_emulator.card_state(card.card_number)["pin_tries_left"] == 3  # the PIN never reached a card


def test_cancel_timeout_and_busy(client: AgentClient, card_emulator: CardEmulatorProcess, pinpad: PinPadProcess,
                                 issuer_kit: IssuerKit) -> None:
    card = issuer_kit.issue()
    insertion = insert(card_emulator, client, card.card_number)
    client.read_card(new_challenge())
    pinpad.queue("cancel")
    with pytest.raises(PinEntryCancelled):
        pin(client, insertion, new_challenge())
    op = client.start_pin(insertion, new_challenge(), 1, "PIN", 1)
    with pytest.raises(DeviceBusy):
        client.start_pin(insertion, new_challenge(), 1, "PIN", 1)
    with pytest.raises(PinEntryTimeout):
        client.wait_pin(op, 10)


@pytest.mark.slow
def test_agent_through_pcscd_restart(client: AgentClient, card_emulator: CardEmulatorProcess, issuer_kit: IssuerKit,
                                     pcscd: PrivatePcscd) -> None:
    insert(card_emulator, client, issuer_kit.issue().card_number)
    cursor = client.status()["events"]["cursor"]
    pcscd.stop()
    wait_for(lambda: not client.status()["pcscd"]["up"])
    with pytest.raises(ReaderUnavailable):
        client.read_card(new_challenge())
    pcscd.start()
    wait_for(lambda: client.status()["reader"]["card_present"], timeout=10)
    client.read_card(new_challenge())
    events, _ = client.events(cursor)
    assert [e.kind for e in events] == ["removed", "reader_lost", "reader_back", "inserted"]


def test_an_agent_without_printer_says_so(client: AgentClient) -> None:
    with pytest.raises(NoPrinter) as err:
        client.print_receipt("sale:1", SALE)
    assert "KIOSK_PRINTER" in err.value.message_en and err.value.message_id
    with pytest.raises(NoPrinter):
        client.print_queue()


def test_every_error_is_a_card_error(client: AgentClient) -> None:
    with pytest.raises(CardError) as err:
        client.read_card(new_challenge())  # no card
    assert err.value.code == "no_card" and err.value.message_id and err.value.message_en
