"""The vpcd side of a slot, against a stand-in vpcd (a TCP server speaking vpcd's framing)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from card_reader.protocol import card as p
from firmware_stubs.card.emulator import CardEmulator
from firmware_stubs.card.vpcd import Endpoint, Slot, parse_endpoint
from firmware_stubs.control import ControlServer
from tests.firmware_stubs.test_applet import new_applet
from tests.support.devices import IssuerKit


class FakeVpcd:
    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(5)
        self.endpoint = Endpoint("127.0.0.1", self.server.getsockname()[1])
        self.conn: socket.socket | None = None

    def accept(self) -> socket.socket:
        self.conn, _ = self.server.accept()
        self.conn.settimeout(5)
        return self.conn

    def send(self, payload: bytes) -> None:
        assert self.conn is not None
        self.conn.sendall(len(payload).to_bytes(2, "big"))  # vpcd writes length and body separately
        self.conn.sendall(payload)

    def receive(self) -> bytes:
        assert self.conn is not None
        n = int.from_bytes(self._exact(2), "big")
        return self._exact(n)

    def _exact(self, n: int) -> bytes:
        assert self.conn is not None
        buf = b""
        while len(buf) < n:
            chunk = self.conn.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        return buf

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.server.close()


@pytest.fixture
def vpcd() -> Iterator[FakeVpcd]:
    fake = FakeVpcd()
    yield fake
    fake.close()


def test_slot_speaks_vpcd(vpcd: FakeVpcd, tmp_path: Path) -> None:
    slot = Slot(0, vpcd.endpoint)
    slot.insert(new_applet(tmp_path / "card.json"))
    try:
        vpcd.accept()
        vpcd.send(b"\x04")
        assert vpcd.receive() == p.ATR
        vpcd.send(b"\x01")  # power on: no answer
        vpcd.send(p.select_aid())
        assert vpcd.receive()[-2:] == b"\x90\x00"
        vpcd.send(p.read_record(1))
        assert vpcd.receive()[-2:] == b"\x90\x00"
        vpcd.send(b"\x00")  # power off ends the card session
        vpcd.send(p.read_record(1))
        assert vpcd.receive() == b"\x69\x85"
        assert vpcd.conn is not None
        vpcd.conn.close()  # pcscd went away: the card stays inserted and comes back
        vpcd.accept()
        vpcd.send(b"\x04")
        assert vpcd.receive() == p.ATR
    finally:
        assert slot.remove() is not None
    assert vpcd.conn is not None and vpcd.conn.recv(1) == b""  # removal closes the socket


def test_parse_endpoint() -> None:
    assert parse_endpoint("127.0.0.1:35963") == Endpoint("127.0.0.1", 35963)
    for bad in ("35963", "host:", "host:0", "host:70000", ":1"):
        with pytest.raises(ValueError):
            parse_endpoint(bad)


def test_control_api(vpcd: FakeVpcd, tmp_path: Path) -> None:
    kit = IssuerKit(tmp_path)
    card = kit.issue()
    emulator = CardEmulator(kit.deck, [vpcd.endpoint])
    server = ControlServer(emulator.routes()).start()
    try:
        with httpx.Client(base_url=server.url, timeout=5) as http:
            ok = http.post("/insert", json={"card_number": card.card_number, "slot": 0})
            vpcd.accept()
            assert ok.status_code == 200 and ok.json()["connected"] is True
            cards = http.get("/cards").json()["cards"]
            assert cards == [{"card_number": card.card_number, "slot": 0, "pin_tries_left": 3, "atc": 0}]
            for body, fragment in (({"card_number": "6013999999999999"}, "not in the deck"),
                                   ({"card_number": card.card_number}, "already in a reader"),
                                   ({"card_number": card.card_number, "slot": 5}, "no slot 5"),
                                   ({"slot": 0}, "card_number"), ({"card_number": "x", "slot": "0"}, "whole number")):
                refused = http.post("/insert", json=body)
                assert refused.status_code == 400 and fragment in refused.json()["error"]["message_en"]
                assert refused.json()["error"]["message_id"]
            assert http.post("/insert", content=b"{nope").status_code == 400
            assert http.post("/insert", json=[1]).status_code == 400
            assert http.get("/nowhere").status_code == 404
            assert http.post("/remove", json={"slot": 0}).json() == {"slot": 0, "card_number": card.card_number}
            assert http.get("/status").json()["slots"][0]["card_number"] is None
    finally:
        emulator.close()
        server.stop()
