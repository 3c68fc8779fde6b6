"""The serial PIN pad driver (DESIGN §7), over pyserial.

Every frame is ACKed or NAKed; a NAKed or unanswered frame is sent again, at most
``MAX_RESENDS`` times; a corrupt or stalled incoming frame is NAKed so the pad resends it. After
that the error is plain: :class:`~card_reader.errors.PinPadUnavailable`. GET_PIN returns the pad's
PIN block as a :class:`~card_reader.pin.PinBlock`, or raises PinEntryCancelled / PinEntryTimeout.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Protocol

import serial

from card_reader.errors import DeviceBusy, PinEntryCancelled, PinEntryTimeout, PinPadUnavailable
from card_reader.logs import log_event
from card_reader.pin import PinBlock
from card_reader.protocol import pinpad as pp

log = logging.getLogger("card_reader.pinpad")
MAX_NOISE = 64  # bytes outside a frame before the line counts as broken


class SerialPort(Protocol):
    """What the driver needs of a port (pyserial's ``Serial`` satisfies it)."""

    timeout: float | None

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes) -> int | None: ...

    def reset_input_buffer(self) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class PadTiming:
    """How long the driver waits (DESIGN §7 defaults; tests shrink them)."""

    ack_s: float = pp.ACK_TIMEOUT_S
    inter_byte_s: float = pp.INTER_BYTE_TIMEOUT_S
    grace_s: float = pp.ANSWER_GRACE_S


@dataclass(frozen=True)
class PadStatus:
    state: pp.PadState
    model: str


def open_serial(port: str, baudrate: int = 9600) -> SerialPort:
    try:
        opened: SerialPort = serial.Serial(port, baudrate=baudrate, timeout=0.05, write_timeout=2, exclusive=True)
        return opened
    except (serial.SerialException, OSError) as exc:
        raise PinPadUnavailable(port=port, detail=type(exc).__name__) from None


class PinPad:
    def __init__(self, port: SerialPort, name: str = "pinpad", timing: PadTiming = PadTiming()) -> None:
        self.port = port
        self.name = name
        self.timing = timing
        self._lock = threading.Lock()
        self.port.timeout = min(0.05, timing.inter_byte_s / 2)

    @classmethod
    def open(cls, path: str, baudrate: int = 9600) -> PinPad:
        return cls(open_serial(path, baudrate), path)

    def close(self) -> None:
        self.port.close()

    # ---- commands ---------------------------------------------------------------------------

    def display(self, text: str) -> None:
        self._expect(self._transact(pp.display(text), self.timing.grace_s), pp.Answer.DISPLAY, 2)

    def status(self) -> PadStatus:
        answer = self._expect(self._transact(pp.status(), self.timing.grace_s), pp.Answer.STATUS, None)
        if len(answer) < 2 or answer[1] not in tuple(pp.PadState):
            raise PinPadUnavailable(detail="bad STATUS answer")
        return PadStatus(pp.PadState(answer[1]), answer[2:].decode("utf-8", "replace"))

    def get_pin(self, timeout_s: int, amount: int, prompt: str) -> PinBlock:
        """Ask the farmer for the PIN; the answer comes when typed, cancelled or timed out."""
        answer = self._expect(self._transact(pp.get_pin(timeout_s, amount, prompt), timeout_s + self.timing.grace_s),
                              pp.Answer.GET_PIN, None)
        result = answer[1] if len(answer) > 1 else -1
        if result == pp.PinResult.ENTERED and len(answer) == 10:
            block = PinBlock(answer[2:])
            if not block.well_formed():
                raise PinPadUnavailable(detail="malformed PIN block")
            log_event(log, "pinpad.pin_entered", pad=self.name)
            return block
        if result == pp.PinResult.CANCELLED and len(answer) == 2:
            raise PinEntryCancelled()
        if result == pp.PinResult.TIMEOUT and len(answer) == 2:
            raise PinEntryTimeout(timeout_s=timeout_s)
        raise PinPadUnavailable(detail="bad GET_PIN answer")

    # ---- framing ----------------------------------------------------------------------------

    def _expect(self, answer: bytes, kind: pp.Answer, length: int | None) -> bytes:
        if answer[:1] == bytes([pp.Answer.ERROR]):
            code = answer[1] if len(answer) > 1 else 0
            if code == pp.PadErrorCode.BUSY:
                raise DeviceBusy(device="pinpad")
            raise PinPadUnavailable(detail=f"pad refused the command (error {code})")
        if answer[0] != kind or (length is not None and len(answer) != length):
            raise PinPadUnavailable(detail=f"unexpected answer {answer[:1].hex()}")
        return answer

    def _transact(self, payload: bytes, answer_timeout: float) -> bytes:
        with self._lock:
            try:
                self.port.reset_input_buffer()
                self._send(payload)
                return self._receive(time.monotonic() + answer_timeout)
            except (serial.SerialException, OSError) as exc:
                raise PinPadUnavailable(detail=type(exc).__name__) from None

    def _send(self, payload: bytes) -> None:
        frame = pp.encode_frame(payload)
        for attempt in range(1 + pp.MAX_RESENDS):
            self.port.write(frame)
            reply = self._read_control(time.monotonic() + self.timing.ack_s)
            if reply == pp.ACK:
                return
            log_event(log, "pinpad.resend", logging.WARNING, pad=self.name, attempt=attempt + 1,
                      reason="nak" if reply == pp.NAK else "no_ack")
        raise PinPadUnavailable(detail="the pad did not acknowledge the command")

    def _read_control(self, deadline: float) -> int | None:
        while time.monotonic() < deadline:
            data = self.port.read(1)
            if data and data[0] in (pp.ACK, pp.NAK):
                return data[0]
        return None

    def _receive(self, deadline: float) -> bytes:
        naks = 0
        noise = 0
        reader = pp.FrameReader()
        last_byte = time.monotonic()
        hard_deadline = deadline + self.timing.grace_s
        while True:
            now = time.monotonic()
            if reader.in_frame and now - last_byte > self.timing.inter_byte_s:
                reader.reset()
                naks = self._nak(naks, "stalled frame")
            if (now > deadline and not reader.in_frame) or now > hard_deadline:
                raise PinPadUnavailable(detail="no answer from the pad")
            data = self.port.read(1)
            if not data:
                continue
            last_byte = time.monotonic()
            if not reader.in_frame and data[0] != pp.STX:
                noise += 1
                if noise > MAX_NOISE:
                    raise PinPadUnavailable(detail="line noise")
                continue
            try:
                payload = reader.feed(data[0])
            except pp.FrameError as exc:
                naks = self._nak(naks, str(exc))
                continue
            if payload is not None:
                self.port.write(bytes([pp.ACK]))
                return payload

    def _nak(self, naks: int, reason: str) -> int:
        """Ask for the frame again once the line is quiet (the rest of a bad frame is dropped)."""
        log_event(log, "pinpad.nak", logging.WARNING, pad=self.name, reason=reason)
        if naks >= pp.MAX_RESENDS:
            raise PinPadUnavailable(detail=f"corrupt frames from the pad ({reason})")
        quiet_by = time.monotonic() + 5 * self.timing.inter_byte_s
        while self.port.read(256) and time.monotonic() < quiet_by:
            pass
        self.port.write(bytes([pp.NAK]))
        return naks + 1
