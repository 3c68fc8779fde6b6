"""The PIN pad's firmware: frames in, answers out, PIN entries from a script or typed keys.

One loop owns the line (like a pad's main loop): it reads host bytes, ACKs or NAKs frames, sends
answers one at a time in command order (resending on NAK or a missing ACK) and, while a GET_PIN
waits for the farmer, keeps reading, so a CANCEL ends the wait at once (``p`` 01, then ``c`` 01).

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


@dataclass
class _Pending:
    """A GET_PIN waiting for the farmer."""

    deadline: float
    entry: Entry | None = None
    ready_at: float = 0.0


@dataclass
class _Sending:
    """The answer on the line, waiting for the host's ACK."""

    frame: bytes
    attempts: int = 0
    ack_by: float = 0.0


class PadFirmware:
    def __init__(self, port: Port) -> None:
        self.port = port
        self.faults = Faults()
        self.display_text = ""
        self.prompt = ""
        self.amount = 0
        self.pin_requests = 0
        self.cancels = 0  # CANCEL commands that ended a waiting GET_PIN
        self._pending: _Pending | None = None
        self._outbox: collections.deque[bytes] = collections.deque()
        self._sending: _Sending | None = None
        self._entries: collections.deque[Entry] = collections.deque()
        self._typed = ""
        self._cond = threading.Condition()
        self._stop = threading.Event()

    @property
    def busy(self) -> bool:
        return self._pending is not None

    # ---- control (any thread) -------------------------------------------------------------

    def queue(self, entry: Entry) -> None:
        with self._cond:
            self._entries.append(entry)

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

    def reset(self) -> None:
        with self._cond:
            self._entries.clear()
            self._typed = ""
            self.faults = Faults()

    def status(self) -> dict[str, Any]:
        with self._cond:
            return {"state": "busy" if self.busy else "ready", "display": self.display_text, "prompt": self.prompt,
                    "amount": self.amount, "queued": len(self._entries), "typed_digits": len(self._typed),
                    "pin_requests": self.pin_requests, "cancels": self.cancels}

    def stop(self) -> None:
        self._stop.set()

    # ---- the line --------------------------------------------------------------------------

    def run(self) -> None:
        reader = pp.FrameReader()
        last = time.monotonic()
        while not self._stop.is_set():
            data = self.port.read(1)
            now = time.monotonic()
            if data:
                last = now
                self._on_byte(reader, data[0])
            elif reader.in_frame and now - last > pp.INTER_BYTE_TIMEOUT_S:
                reader.reset()
                self.port.write(bytes([pp.NAK]))
            self._tick(time.monotonic())

    def _on_byte(self, reader: pp.FrameReader, byte: int) -> None:
        if not reader.in_frame and byte in (pp.ACK, pp.NAK):
            self._on_control(byte)
            return
        if not reader.in_frame and byte != pp.STX:
            return  # noise between frames
        try:
            payload = reader.feed(byte)
        except pp.FrameError:
            self.port.write(bytes([pp.NAK]))
            return
        if payload is not None:
            self._on_frame(payload)

    def _on_control(self, byte: int) -> None:
        if self._sending is None:
            return  # a stray ACK/NAK
        if byte == pp.ACK:
            self._sending = None
        else:
            self._transmit()

    def _on_frame(self, payload: bytes) -> None:
        if self.faults.ignore_commands:
            self.faults.ignore_commands -= 1
            return
        if self.faults.nak_commands:
            self.faults.nak_commands -= 1
            self.port.write(bytes([pp.NAK]))
            return
        self.port.write(bytes([pp.ACK]))
        self._handle(payload)

    def _tick(self, now: float) -> None:
        if self._sending is not None and now > self._sending.ack_by:
            self._transmit()  # no ACK in time: send again
        if self._pending is not None:
            answer = self._resolve(self._pending, now)
            if answer is not None:
                self._finish_pin(answer)
        if self._sending is None and self._outbox:
            self._sending = _Sending(pp.encode_frame(self._outbox.popleft()))
            self._transmit()

    def _transmit(self) -> None:
        sending = self._sending
        if sending is None:
            return
        if sending.attempts > pp.MAX_RESENDS:
            self._sending = None  # the host stopped listening: give the answer up
            return
        sending.attempts += 1
        if self.faults.drop_answers:
            self.faults.drop_answers -= 1
            self._sending = None
            return
        out = sending.frame
        if self.faults.corrupt_answers:
            self.faults.corrupt_answers -= 1
            out = out[:-1] + bytes([out[-1] ^ 0xFF])
        if self.faults.garbage:
            out, self.faults.garbage = self.faults.garbage + out, b""
        self.port.write(out)
        sending.ack_by = time.monotonic() + pp.ACK_TIMEOUT_S

    # ---- commands --------------------------------------------------------------------------

    def _handle(self, payload: bytes) -> None:
        command = payload[0]
        if command == pp.Command.CANCEL:
            self._cancel(payload)
        elif self._pending is not None:
            self._outbox.append(pp.error_answer(pp.PadErrorCode.BUSY))
        elif command == pp.Command.GET_PIN:
            self._start_pin(payload)
        else:
            self._outbox.append(self._simple(payload))

    def _simple(self, payload: bytes) -> bytes:
        command = payload[0]
        if command == pp.Command.DISPLAY:
            try:
                self.display_text = payload[1:].decode("utf-8")
            except UnicodeDecodeError:
                return pp.error_answer(pp.PadErrorCode.BAD_PAYLOAD)
            return bytes([pp.Answer.DISPLAY, 0])
        if command == pp.Command.STATUS and len(payload) == 1:
            return pp.status_answer(pp.PadState.BUSY if self.busy else pp.PadState.READY, MODEL)
        return pp.error_answer(pp.PadErrorCode.UNKNOWN_COMMAND)

    def _cancel(self, payload: bytes) -> None:
        if len(payload) != 1:
            self._outbox.append(pp.error_answer(pp.PadErrorCode.BAD_PAYLOAD))
        elif self._pending is None:
            self._outbox.append(pp.cancel_answer(pp.CancelResult.IDLE))
        else:
            self.cancels += 1
            self._finish_pin(pp.pin_answer(pp.PinResult.CANCELLED))
            self._outbox.append(pp.cancel_answer(pp.CancelResult.CANCELLED))
            log.info("pinpad.cancelled pin_requests=%d", self.pin_requests)

    def _start_pin(self, payload: bytes) -> None:
        try:
            request = pp.parse_get_pin(payload)
        except ValueError:
            self._outbox.append(pp.error_answer(pp.PadErrorCode.BAD_PAYLOAD))
            return
        with self._cond:
            self.prompt, self.amount = request.prompt, request.amount
            self.pin_requests += 1
            self._pending = _Pending(time.monotonic() + request.timeout_s)

    def _finish_pin(self, answer: bytes) -> None:
        with self._cond:
            self._pending, self.prompt, self.amount = None, "", 0
        self._outbox.append(answer)

    def _resolve(self, pending: _Pending, now: float) -> bytes | None:
        """The waiting GET_PIN's answer once it is known, else None."""
        if pending.entry is None:
            with self._cond:
                if self._entries:
                    taken = pending.entry = self._entries.popleft()
                    wait = pending.deadline - now if taken.kind == "timeout" else taken.delay_s
                    pending.ready_at = min(now + wait, pending.deadline)
        if now >= pending.deadline:
            return pp.pin_answer(pp.PinResult.TIMEOUT)
        entry = pending.entry
        if entry is None or now < pending.ready_at:
            return None
        if entry.kind == "cancel":
            return pp.pin_answer(pp.PinResult.CANCELLED)
        try:
            block = card_proto.pin_block(entry.pin)
        except ValueError:  # too few digits typed: the pad refuses, like a real one, by cancelling
            return pp.pin_answer(pp.PinResult.CANCELLED)
        return pp.pin_answer(pp.PinResult.ENTERED, block)
