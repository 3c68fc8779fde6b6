"""The PIN pad's firmware: frames in, answers out, PIN entries from a script or typed keys.

Entries (``queue``): a PIN (answered at once, or after ``delay_s``), ``cancel`` or ``timeout``
(the pad waits out the host's timeout). Without a queued entry the pad waits for typed keys
(``keys`` ... ``enter``) until the timeout. Faults for tests: NAK the next commands, corrupt or
drop the next answers, send garbage before the next answer.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from card_reader.protocol import card as card_proto
from card_reader.protocol import pinpad as pp

log = logging.getLogger("firmware_stubs.pinpad")
MODEL = "EKT-PAD-1 emulator"


class Port(Protocol):
    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes) -> int | None: ...


@dataclass(frozen=True)
class Entry:
    kind: str  # pin | cancel | timeout
    pin: str = field(default="", repr=False)
    delay_s: float = 0.0


@dataclass
class Faults:
    nak_commands: int = 0
    corrupt_answers: int = 0
    drop_answers: int = 0
    garbage: bytes = b""
    ignore_commands: int = 0


class PadFirmware:
    def __init__(self, port: Port) -> None:
        self.port = port
        self.faults = Faults()
        self.display_text = ""
        self.prompt = ""
        self.amount = 0
        self.busy = False
        self.pin_requests = 0
        self._entries: collections.deque[Entry] = collections.deque()
        self._typed = ""
        self._cond = threading.Condition()
        self._stop = threading.Event()

    # ---- control (any thread) -------------------------------------------------------------

    def queue(self, entry: Entry) -> None:
        with self._cond:
            self._entries.append(entry)
            self._cond.notify_all()

    def keys(self, digits: str = "", enter: bool = False, cancel: bool = False, clear: bool = False) -> None:
        with self._cond:
            if clear:
                self._typed = ""
            self._typed = (self._typed + digits)[: card_proto.PIN_MAX_DIGITS]
            if cancel:
                self._typed = ""
                self._entries.append(Entry("cancel"))
            elif enter:
                self._entries.append(Entry("pin", self._typed))
                self._typed = ""
            self._cond.notify_all()

    def reset(self) -> None:
        with self._cond:
            self._entries.clear()
            self._typed = ""
            self.faults = Faults()

    def status(self) -> dict[str, Any]:
        with self._cond:
            return {"state": "busy" if self.busy else "ready", "display": self.display_text, "prompt": self.prompt,
                    "amount": self.amount, "queued": len(self._entries), "typed_digits": len(self._typed),
                    "pin_requests": self.pin_requests}

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    # ---- the line --------------------------------------------------------------------------

    def run(self) -> None:
        reader = pp.FrameReader()
        last = time.monotonic()
        while not self._stop.is_set():
            data = self.port.read(1)
            if not data:
                if reader.in_frame and time.monotonic() - last > pp.INTER_BYTE_TIMEOUT_S:
                    reader.reset()
                    self.port.write(bytes([pp.NAK]))
                continue
            last = time.monotonic()
            if not reader.in_frame and data[0] != pp.STX:
                continue  # stray ACK/NAK or noise between frames
            try:
                payload = reader.feed(data[0])
            except pp.FrameError:
                self.port.write(bytes([pp.NAK]))
                continue
            if payload is not None:
                self._on_frame(payload)

    def _on_frame(self, payload: bytes) -> None:
        if self.faults.ignore_commands:
            self.faults.ignore_commands -= 1
            return
        if self.faults.nak_commands:
            self.faults.nak_commands -= 1
            self.port.write(bytes([pp.NAK]))
            return
        self.port.write(bytes([pp.ACK]))
        self._answer(self._handle(payload))

    def _answer(self, payload: bytes) -> None:
        frame = pp.encode_frame(payload)
        for _ in range(1 + pp.MAX_RESENDS):
            if self.faults.drop_answers:
                self.faults.drop_answers -= 1
                return
            out = frame
            if self.faults.corrupt_answers:
                self.faults.corrupt_answers -= 1
                out = frame[:-1] + bytes([frame[-1] ^ 0xFF])
            if self.faults.garbage:
                out, self.faults.garbage = self.faults.garbage + out, b""
            self.port.write(out)
            if self._await_ack():
                return

    def _await_ack(self) -> bool:
        deadline = time.monotonic() + pp.ACK_TIMEOUT_S
        while time.monotonic() < deadline:
            data = self.port.read(1)
            if data and data[0] == pp.ACK:
                return True
            if data and data[0] == pp.NAK:
                return False
        return False

    # ---- commands --------------------------------------------------------------------------

    def _handle(self, payload: bytes) -> bytes:
        command = payload[0]
        if command == pp.Command.DISPLAY:
            try:
                self.display_text = payload[1:].decode("utf-8")
            except UnicodeDecodeError:
                return pp.error_answer(pp.PadErrorCode.BAD_PAYLOAD)
            return bytes([pp.Answer.DISPLAY, 0])
        if command == pp.Command.STATUS and len(payload) == 1:
            return pp.status_answer(pp.PadState.BUSY if self.busy else pp.PadState.READY, MODEL)
        if command == pp.Command.GET_PIN:
            try:
                request = pp.parse_get_pin(payload)
            except ValueError:
                return pp.error_answer(pp.PadErrorCode.BAD_PAYLOAD)
            return self._get_pin(request)
        return pp.error_answer(pp.PadErrorCode.UNKNOWN_COMMAND)

    def _get_pin(self, request: pp.GetPinRequest) -> bytes:
        self.prompt, self.amount, self.busy = request.prompt, request.amount, True
        self.pin_requests += 1
        deadline = time.monotonic() + request.timeout_s
        try:
            with self._cond:
                while not self._entries and not self._stop.is_set():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return pp.pin_answer(pp.PinResult.TIMEOUT)
                    self._cond.wait(left)
                if self._stop.is_set():
                    return pp.pin_answer(pp.PinResult.CANCELLED)
                entry = self._entries.popleft()
            return self._resolve(entry, deadline)
        finally:
            self.busy, self.prompt, self.amount = False, "", 0

    def _resolve(self, entry: Entry, deadline: float) -> bytes:
        if entry.kind == "timeout":
            self._stop.wait(max(0.0, deadline - time.monotonic()))
            return pp.pin_answer(pp.PinResult.TIMEOUT)
        if entry.delay_s:
            self._stop.wait(min(entry.delay_s, max(0.0, deadline - time.monotonic())))
        if time.monotonic() > deadline:
            return pp.pin_answer(pp.PinResult.TIMEOUT)
        if entry.kind == "cancel":
            return pp.pin_answer(pp.PinResult.CANCELLED)
        try:
            block = card_proto.pin_block(entry.pin)
        except ValueError:  # too few digits typed: the pad refuses, like a real one, by cancelling
            return pp.pin_answer(pp.PinResult.CANCELLED)
        return pp.pin_answer(pp.PinResult.ENTERED, block)
