"""DeviceStack end to end: demo cards issued, every process up in order, a card read and verified,
the card's PIN typed on the emulated pad, a receipt printed, and everything gone after the stack
stops; a process that fails to start stops what had started and names itself."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from card_reader.protocol.card import AuthMode
from card_reader.records import parse_records
from card_reader.verify import verify_card_signature, verify_issuer
from kiosk.cards import load_issuer_keys, new_challenge
from kiosk.devstack import DeviceStack, ProcessFailed, card_pin, demo_cards, issue_deck
from kiosk.devstack.ports import listening_ports
from kiosk.devstack.stack import STACK_FILE, reader_slot
from tests.kiosk.devstack.test_process import gone
from tests.kiosk.receipts.samples import TOPUP

GOLDEN = Path(__file__).parents[1] / "receipts" / "golden"


def test_stack_runs_a_card_a_pin_and_a_receipt_then_stops_clean(tmp_path: Path) -> None:
    deck, keys = tmp_path / "deck", tmp_path / "issuers"
    cards = demo_cards(2)
    assert issue_deck(deck, keys, cards) == [c.card_number for c in cards]
    assert issue_deck(deck, keys, cards) == []  # issued once: a card keeps its memory
    number = cards[0].card_number
    with DeviceStack(tmp_path / "run", deck, issuer_keys_dir=keys, print_retry_s=0.2) as stack:
        described = json.loads((tmp_path / "run" / STACK_FILE).read_text())
        assert described["agent"]["url"] == stack.agent_url and stack.agent_token not in json.dumps(described)
        assert (stack.agent_token_file.stat().st_mode & 0o777) == 0o600
        assert stack.web_env() == {"KIOSK_AGENT_URL": stack.agent_url, "KIOSK_AGENT_TOKEN_FILE": str(stack.agent_token_file),
                                   "KIOSK_ISSUER_KEYS_DIR": str(keys)}
        assert set(described["pids"]) == {"pcscd", "card emulator", "socat pinpad-pad", "PIN pad emulator",
                                          "socat printer-dev", "printer emulator", "device agent"}
        pids = list(described["pids"].values())
        ports = {stack.require_pcscd().port, int(stack.agent_url.rsplit(":", 1)[1])}
        with stack.agent_client() as client:
            cursor = client.status()["events"]["cursor"]
            stack.insert_card(number)
            events, _ = client.events(cursor, wait=5)
            assert [e.kind for e in events] == ["inserted"]
            challenge = new_challenge()
            read = client.read_card(challenge)
            data = parse_records(read.records)
            verify_issuer(data, load_issuer_keys(keys))
            verify_card_signature(data, AuthMode.CARD_CHECK, challenge, read.card_check)
            assert data.card_number == number and data.nik == cards[0].nik

            op = client.start_pin(read.insertion, new_challenge(), 166_800, "PIN", 10)
            deadline = time.monotonic() + 5
            while stack.pinpad_control.status()["state"] != "busy" and time.monotonic() < deadline:
                time.sleep(0.01)
            stack.type_card_pin(number)  # the farmer types the card's own PIN
            assert client.wait_pin(op, 10).atc == 2

            assert client.print_receipt("topup:1", TOPUP).printed
            [receipt] = stack.printed_receipts()
            assert receipt["text"] == (GOLDEN / "topup-42.txt").read_text("utf-8").rstrip("\n")
            stack.remove_card()
            assert not client.status()["reader"]["card_present"]
        assert stack.dead() == []
    assert all(gone(pid) for pid in pids)
    assert not (tmp_path / "run" / STACK_FILE).exists()
    assert not ports & listening_ports()
    assert not (tmp_path / "run" / "dev" / "printer-host").exists()
    assert len(card_pin(deck, number)) == 6


def test_a_process_that_fails_stops_the_ones_before_it(tmp_path: Path) -> None:
    (tmp_path / "deck").mkdir()
    stack = DeviceStack(tmp_path / "run", tmp_path / "deck", agent_env={"KIOSK_PRINTER_WIDTH": "50"})
    with pytest.raises(ProcessFailed) as failed:
        stack.start()
    assert failed.value.fields["process"] == "device agent" and "KIOSK_PRINTER_WIDTH" in failed.value.fields["tail"]
    started = [stack.card, stack.pinpad, stack.printer]
    assert all(p is not None and not p.alive for p in started) and stack.pcscd is not None and not stack.pcscd.running
    assert stack.processes() == {} and not (tmp_path / "run" / STACK_FILE).exists()


def test_reader_slots() -> None:
    assert [reader_slot(r) for r in ("0", "1", "Virtual PCD 00 01", "ACS ACR38U 00 00")] == [0, 1, 1, None]
