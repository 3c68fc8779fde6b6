"""The device agent through the real stack (pcscd + vpcd + card emulator + PIN pad on a pty),
with the web side verifying what it returns (issue 4); PIN operations ended by a pulled card or
by the kiosk, through the real stack and, for the races, against fakes of the same Protocols."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
import serial
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from card_reader import CardError, CardRemoved, NotAuthentic, PinBlocked, ReaderUnavailable, WrongPin
from card_reader.errors import DeviceBusy, PinEntryCancelled, PinEntryTimeout
from card_reader.pin import PinBlock
from card_reader.protocol import card as card_proto
from card_reader.protocol import pinpad as pp
from card_reader.session import EventKind, ReaderStatus, SessionEvent
from card_reader.verify import AuthAnswer
from kiosk.agent.client import AgentClient, PinOperation
from kiosk.agent.devices import PinPadPort
from kiosk.agent.operations import CardSigner, OpState, PinEntry, PinOperations, PinRequest
from kiosk.agent.errors import AgentRefused, NoPrinter
from kiosk.cards import highest_atc, new_challenge, verify_card_read, verify_transaction
from ledger.storage import create_engine
from tests.support.devices import (  # noqa: F401
    AgentProcess,
    CardEmulatorProcess,
    IssuedCard,
    IssuerKit,
    PinPadProcess,
    PtyPair,
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


def ended(client: AgentClient, op: str) -> PinOperation | None:
    found = client.pin_operation(op)
    return None if found.state == "pending" else found


def test_card_pulled_during_pin_entry(client: AgentClient, card_emulator: CardEmulatorProcess, pinpad: PinPadProcess,
                                      issuer_kit: IssuerKit, web_db: sa.Engine) -> None:
    card = issuer_kit.issue()
    insertion = insert(card_emulator, client, card.card_number)
    client.read_card(new_challenge())
    cancels = pinpad.status()["cancels"]
    op = client.start_pin(insertion, new_challenge(), 1, "PIN", 60)  # nobody types: the pad would wait 60 s
    wait_for(lambda: pinpad.status()["state"] == "busy")
    pulled = time.monotonic()
    card_emulator.remove(0)
    failed = wait_for(lambda: ended(client, op), timeout=5, interval=0.01)
    took = time.monotonic() - pulled
    assert isinstance(failed.error, CardRemoved) and failed.error.fields == {"insertion": insertion}
    assert took < 1.0, f"the operation ended {took:.2f} s after the card was pulled"  # pcscd polls every 0.4 s
    wait_for(lambda: pinpad.status()["state"] == "ready", timeout=1)  # the pad's prompt was cancelled
    assert pinpad.status()["cancels"] == cancels + 1
    with pytest.raises(CardRemoved):  # and a PIN for that insertion is refused before the pad is asked
        client.start_pin(insertion, new_challenge(), 1, "PIN", 10)
    assert card_emulator.card_state(card.card_number)["pin_tries_left"] == 3  # the PIN never reached a card
    wait_for(lambda: not client.status()["reader"]["card_present"])
    again = insert(card_emulator, client, card.card_number)  # the farmer puts it back: the pad is free at once
    verified = read_and_verify(client, web_db, issuer_kit)
    pinpad.queue_pin(card.pin)
    challenge = new_challenge()
    answer = pin(client, again, challenge)
    with Session(web_db) as session, session.begin():
        assert verify_transaction(session, verified, challenge, answer.atc, answer.signature).atc == answer.atc


def test_explicit_cancel_frees_the_pad_for_the_next_operation(client: AgentClient, card_emulator: CardEmulatorProcess,
                                                              pinpad: PinPadProcess, issuer_kit: IssuerKit) -> None:
    card = issuer_kit.issue()
    insertion = insert(card_emulator, client, card.card_number)
    client.read_card(new_challenge())
    op = client.start_pin(insertion, new_challenge(), 1, "PIN", 60)
    wait_for(lambda: pinpad.status()["state"] == "busy")
    asked = time.monotonic()
    cancelled = client.cancel_pin(op)
    assert time.monotonic() - asked < 1.0
    assert cancelled.state == "failed" and isinstance(cancelled.error, PinEntryCancelled)
    assert cancelled.error.fields == {"by": "kiosk"} and cancelled.error.message_id and cancelled.error.message_en
    assert pinpad.status()["state"] == "ready"  # freed by the time the cancel answered
    assert client.pin_operation(op).state == "failed"
    pinpad.queue_pin(card.pin)
    assert pin(client, insertion, new_challenge()).atc >= 2  # no device_busy: the next operation runs at once
    assert card_emulator.card_state(card.card_number)["pin_tries_left"] == 3


def test_cancel_of_an_ended_or_unknown_operation_changes_nothing(
        agent: AgentProcess, client: AgentClient, card_emulator: CardEmulatorProcess, pinpad: PinPadProcess,
        issuer_kit: IssuerKit) -> None:
    card = issuer_kit.issue()
    insertion = insert(card_emulator, client, card.card_number)
    client.read_card(new_challenge())
    pinpad.queue_pin(card.pin)
    done_op = client.start_pin(insertion, new_challenge(), 1, "PIN", 10)
    done = client.wait_pin(done_op, 10)
    pinpad.queue("cancel")  # the farmer presses Cancel on the pad
    farmer_op = client.start_pin(insertion, new_challenge(), 1, "PIN", 10)
    with pytest.raises(PinEntryCancelled):
        client.wait_pin(farmer_op, 10)
    before = pinpad.status()
    again = client.cancel_pin(done_op)
    assert again.state == "done" and again.answer == done
    farmer = client.cancel_pin(farmer_op)
    assert farmer.state == "failed" and isinstance(farmer.error, PinEntryCancelled) and farmer.error.fields == {}
    after = pinpad.status()
    assert (after["state"], after["cancels"], after["pin_requests"]) == ("ready", before["cancels"], before["pin_requests"])
    with pytest.raises(AgentRefused) as unknown:
        client.cancel_pin("no-such-operation")
    assert unknown.value.fields["field"] == "operation"
    assert httpx.post(agent.url + f"/v1/pin/{done_op}/cancel").status_code == 401


def test_cancel_timeout_and_busy(client: AgentClient, card_emulator: CardEmulatorProcess, pinpad: PinPadProcess,
                                 issuer_kit: IssuerKit) -> None:
    card = issuer_kit.issue()
    insertion = insert(card_emulator, client, card.card_number)
    client.read_card(new_challenge())
    pinpad.queue("cancel")
    with pytest.raises(PinEntryCancelled):
        pin(client, insertion, new_challenge())
    challenge = new_challenge()
    op = client.start_pin(insertion, challenge, 1, "PIN", 1)
    assert client.start_pin(insertion, challenge, 1, "PIN", 1) == op  # the same checkout asking twice: one entry
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


# ---- PIN operations against fakes of the reader and the pad (the races, made deterministic) ----


class FakeReader:
    """A CardSigner: the card in the reader is ``insertion``; every signature asked for is kept."""

    def __init__(self, insertion: int | None) -> None:
        self.insertion = insertion
        self.signed: list[int] = []

    def status(self) -> ReaderStatus:
        return ReaderStatus("Virtual PCD 00 00", True, self.insertion is not None, self.insertion, "3B00")

    def sign_transaction(self, insertion: int, pin: PinBlock, challenge: bytes) -> AuthAnswer:
        self.signed.append(insertion)
        return AuthAnswer(7, b"\x30" * 70)


class CrossingPad:
    """A PinEntry whose farmer types the PIN just as the entry is cancelled: the block comes back
    anyway (the operation itself must drop it). ``release`` lets the PIN come without a cancel."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.cancels: list[threading.Event | None] = []

    def get_pin(self, timeout_s: int, amount: int, prompt: str, abort: threading.Event | None = None) -> PinBlock:
        self.entered.set()
        assert abort is not None
        while not (abort.is_set() or self.release.is_set()):
            time.sleep(0.005)
        return PinBlock.from_pin("123456")

    def cancel(self, abort: threading.Event | None = None) -> bool:
        self.cancels.append(abort)
        if abort is not None:
            abort.set()
        return True


def event(kind: EventKind, insertion: int | None) -> SessionEvent:
    return SessionEvent(kind, "Virtual PCD 00 00", insertion, datetime.now(UTC))


def state_of(ops: PinOperations, op_id: str) -> OpState:
    op = ops.get(op_id)
    assert op is not None
    return op.state


def started(ops: PinOperations, pad: CrossingPad, insertion: int = 7) -> str:
    op = ops.start(PinRequest(insertion, bytes(16), 1, "PIN", 60))
    assert pad.entered.wait(5)
    return op.id


def test_fakes_satisfy_the_protocols() -> None:
    reader: CardSigner = FakeReader(7)
    pad: PinEntry = CrossingPad()
    assert reader.status().insertion == 7 and not pad.entered.is_set()  # type: ignore[attr-defined]


@pytest.mark.parametrize(("kind", "insertion", "ends"), [
    (EventKind.REMOVED, 7, True), (EventKind.INSERTED, 8, True), (EventKind.READER_LOST, None, True),
    (EventKind.REMOVED, 6, False), (EventKind.INSERTED, 7, False), (EventKind.READER_BACK, None, False),
])
def test_card_events_end_the_operation_at_once_and_it_never_signs(kind: EventKind, insertion: int | None,
                                                                 ends: bool) -> None:
    reader, pad = FakeReader(7), CrossingPad()
    ops = PinOperations(reader, pad)
    op_id = started(ops, pad)
    ops.on_card_event(event(kind, insertion))
    op = ops.get(op_id)
    assert op is not None
    if not ends:
        assert state_of(ops, op_id) is OpState.PENDING and not pad.cancels
        pad.release.set()
        ops.join()
        assert state_of(ops, op_id) is OpState.DONE and reader.signed == [7]
        return
    assert op.state is OpState.FAILED and op.error is not None  # at once, before the pad has answered
    assert op.error["code"] == "card_removed" and op.error["fields"] == {"insertion": 7}
    ops.join()
    assert pad.cancels == [op.abort] and reader.signed == []  # the PIN that crossed the cancel was dropped
    assert op.state is OpState.FAILED and op.error["code"] == "card_removed"  # the thread's outcome did not win


def test_a_new_operation_may_start_as_soon_as_the_old_one_ended() -> None:
    reader, pad = FakeReader(7), CrossingPad()
    ops = PinOperations(reader, pad)
    old = started(ops, pad)
    assert ops.start(PinRequest(7, bytes(16), 1, "PIN", 60)).id == old  # the same request again: the same entry
    with pytest.raises(DeviceBusy):
        ops.start(PinRequest(7, bytes(range(16)), 1, "PIN", 60))  # another checkout's
    reader.insertion = 8
    ops.on_card_event(event(EventKind.INSERTED, 8))
    pad.entered.clear()
    new = started(ops, pad, insertion=8)
    pad.release.set()
    ops.join()
    assert [ops.get(i).state for i in (old, new)] == [OpState.FAILED, OpState.DONE]  # type: ignore[union-attr]
    assert reader.signed == [8] and pad.cancels == [ops.get(old).abort]  # type: ignore[union-attr]


def test_explicit_cancel_ends_one_operation_and_leaves_ended_ones_alone() -> None:
    reader, pad = FakeReader(7), CrossingPad()
    ops = PinOperations(reader, pad)
    op_id = started(ops, pad)
    op = ops.cancel(op_id)
    assert op is not None and op.state is OpState.FAILED and op.error is not None
    assert op.error["code"] == "pin_cancelled" and op.error["fields"] == {"by": "kiosk"}
    assert ops.cancel(op_id) is op and pad.cancels == [op.abort]  # a second cancel sends nothing more
    assert ops.cancel("no-such-operation") is None
    ops.join()
    assert reader.signed == []


def test_a_removal_between_the_check_and_the_start_is_refused() -> None:
    reader, pad = FakeReader(None), CrossingPad()
    with pytest.raises(CardRemoved):
        PinOperations(reader, pad).start(PinRequest(7, bytes(16), 1, "PIN", 60))
    assert not pad.entered.is_set()


def test_a_pin_entry_left_on_the_pad_by_an_agent_that_died_does_not_block_the_next(pty_pair: PtyPair,
                                                                                  pinpad: PinPadProcess) -> None:
    orphan = serial.Serial(str(pty_pair.host), 9600, timeout=1)  # the dead agent's side of the line
    orphan.write(pp.encode_frame(pp.get_pin(60, 1, "PIN")))
    orphan.flush()
    wait_for(lambda: pinpad.status()["state"] == "busy")
    orphan.close()  # it died without a CANCEL: the pad still waits for that PIN
    port = PinPadPort(str(pty_pair.host), 9600)  # the restarted agent's pad
    outcome: dict[str, object] = {}

    def enter() -> None:
        try:
            outcome["block"] = port.get_pin(10, 2, "PIN")
        except CardError as exc:  # without the clean-up on open: DeviceBusy at once
            outcome["error"] = exc

    thread = threading.Thread(target=enter)
    thread.start()
    try:
        wait_for(lambda: "error" in outcome or (pinpad.status()["state"] == "busy" and pinpad.status()["amount"] == 2))
        assert "error" not in outcome, outcome
        pinpad.queue_pin("123456")  # the farmer types at the new prompt
        thread.join(timeout=10)
        assert outcome["block"].reveal() == card_proto.pin_block("123456")  # type: ignore[attr-defined]
    finally:
        thread.join(timeout=10)
        port.close()
