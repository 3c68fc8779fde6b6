"""One virtual card slot: a TCP client of vsmartcard's vpcd (the reader driver inside pcscd).

Framing: 2-byte big-endian length, then the payload; vpcd sends 1-byte control messages
(0x00 power off, 0x01 power on, 0x02 reset, 0x04 get ATR, answered with the ATR) and APDUs,
each answered with one framed response. Exactly ``length`` bytes are read every time.
Connecting inserts the card; closing the socket removes it. ``TCP_QUICKACK`` is set after every
read: vpcd writes length and body separately, and without it each APDU waits ~44 ms for a
delayed ACK (NOTES.md).

If vpcd goes away while the card is inserted (pcscd restarted), the slot keeps reconnecting
until it is removed, as a card left in a reader would be seen again.
"""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass

from card_reader.logs import log_event
from card_reader.protocol.card import ATR
from firmware_stubs.card.applet import Applet

log = logging.getLogger("firmware_stubs.card")

CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0x00, 0x01, 0x02, 0x04
RECONNECT_S = 0.1


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def parse_endpoint(text: str) -> Endpoint:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    return Endpoint(host, int(port))


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    return bytes(buf)


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(len(payload).to_bytes(2, "big") + payload)


class Slot:
    """A slot of the virtual reader; holds at most one card (an :class:`Applet`) at a time."""

    def __init__(self, index: int, endpoint: Endpoint) -> None:
        self.index = index
        self.endpoint = endpoint
        self.applet: Applet | None = None
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def card_number(self) -> str | None:
        return self.applet.image.card_number if self.applet else None

    def insert(self, applet: Applet) -> None:
        with self._lock:
            if self.applet is not None:
                raise ValueError(f"slot {self.index} already holds card {self.applet.image.card_number}")
            self.applet = applet
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"vpcd-slot-{self.index}", daemon=True)
            self._thread.start()

    def remove(self) -> str | None:
        with self._lock:
            applet, thread = self.applet, self._thread
            if applet is None or thread is None:
                return None
            self._stop.set()
            sock = self._sock
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            thread.join(timeout=5)
            self.applet, self._thread = None, None
            self.connected.clear()
        log_event(log, "card.removed", slot=self.index)
        return applet.image.card_number

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sock = socket.create_connection((self.endpoint.host, self.endpoint.port), timeout=2)
            except OSError:
                self._stop.wait(RECONNECT_S)
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
            self.connected.set()
            log_event(log, "card.inserted", slot=self.index, endpoint=str(self.endpoint))
            try:
                self._serve(sock)
            except OSError:
                pass
            finally:
                self.connected.clear()
                self._sock = None
                sock.close()
            if not self._stop.is_set():
                log_event(log, "vpcd.lost", logging.WARNING, slot=self.index, endpoint=str(self.endpoint))
                self._stop.wait(RECONNECT_S)

    def _serve(self, sock: socket.socket) -> None:
        applet = self.applet
        if applet is None:
            return
        applet.power_cycle()
        while not self._stop.is_set():
            header = _recv_exact(sock, 2)
            if header is None:
                return
            payload = _recv_exact(sock, int.from_bytes(header, "big"))
            if payload is None:
                return
            if len(payload) == 1:
                if payload[0] == CTRL_ATR:
                    _send(sock, ATR)
                elif payload[0] in (CTRL_OFF, CTRL_ON, CTRL_RESET):
                    applet.power_cycle()
                continue
            _send(sock, applet.process(payload))
