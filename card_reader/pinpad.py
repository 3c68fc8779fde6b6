"""The serial PIN pad driver (DESIGN §7), over pyserial.

Every frame is ACKed or NAKed; a NAKed or unanswered frame is sent again, at most
``MAX_RESENDS`` times; a corrupt or stalled incoming frame is NAKed so the pad resends it. After
that the error is plain: :class:`~card_reader.errors.PinPadUnavailable`. GET_PIN returns the pad's
PIN block as a :class:`~card_reader.pin.PinBlock`, or raises PinEntryCancelled / PinEntryTimeout.

Cancelling: :meth:`PinPad.cancel` may be called from any thread while :meth:`PinPad.get_pin`
waits (or a caller's ``abort`` event may be set). The CANCEL frame goes out at once; writes are
serialised by a lock, so frames and ACK/NAK bytes never interleave. The waiting thread alone reads
the line: it takes the CANCEL's ACK (resending on NAK or silence, at most ``MAX_RESENDS`` times),
the GET_PIN's answer (``p`` 01) and then the CANCEL's (``c`` 01), and raises PinEntryCancelled.
A get_pin that began before a cancel() always ends in PinEntryCancelled: a PIN block that crossed
the CANCEL on the line is dropped unseen. With no get_pin running, cancel() sends a plain CANCEL,
which the pad answers "idle". No PIN byte is ever logged.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
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


@dataclass(eq=False)
class _PinWait:
    """One get_pin call and the CANCEL sent on its behalf (fields guarded by ``PinPad._cond``)."""

    gen: int  # PinPad._cancel_gen when the call began: any later cancel() cancels it
    abort: threading.Event | None = field(default=None, repr=False)
    sent: int = 0  # CANCEL frames sent
    first_sent: float = 0.0
    ack_by: float = 0.0
    acked: bool = False


def kiosk_cancelled() -> PinEntryCancelled:
    return PinEntryCancelled("Pengisian PIN dibatalkan oleh kios.", "PIN entry was cancelled by the kiosk.", by="kiosk")


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
        self._lock = threading.Lock()  # one command, with its answers, at a time
        self._write_lock = threading.Lock()  # whole frames and single ACK/NAK bytes only
        self._cond = threading.Condition()  # guards the cancel state below
        self._cancel_gen = 0
        self._active: list[_PinWait] = []  # the get_pin calls running
        self._wait: _PinWait | None = None  # the get_pin whose answer is on its way
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

    def get_pin(self, timeout_s: int, amount: int, prompt: str, abort: threading.Event | None = None) -> PinBlock:
        """Ask the farmer for the PIN; the answer comes when typed, cancelled or timed out.

        Cancelled also means: :meth:`cancel` was called after this call began, or ``abort`` was set.
        """
        payload = pp.get_pin(timeout_s, amount, prompt)
        with self._cond:
            wait = _PinWait(self._cancel_gen, abort)
            self._active.append(wait)
        try:
            answer = self._pin_exchange(payload, wait, timeout_s + self.timing.grace_s)
        finally:
            with self._cond:
                self._active.remove(wait)
                self._cond.notify_all()
        return self._pin_result(answer, timeout_s)

    def cancel(self, abort: threading.Event | None = None, wait_s: float | None = None) -> bool:
        """End the get_pin calls in progress (any thread): True when there were any.

        They raise PinEntryCancelled; this waits up to ``wait_s`` (default: long enough for every
        resend) for them to end. With ``abort``, only the calls given that event are cancelled
        (the event is set), and nothing is sent when there are none. Otherwise, with no call
        running, the pad gets a plain CANCEL, answered "idle" (PinPadUnavailable if unanswered).
        """
        with self._cond:
            if abort is None:
                self._cancel_gen += 1
                targets = list(self._active)
            else:
                abort.set()
                targets = [w for w in self._active if w.abort is abort]
            wait = self._wait
            if wait is not None and wait in targets and wait.sent == 0:
                self._send_cancel(wait)
            if targets:
                limit = self._cancel_budget() + self.timing.grace_s if wait_s is None else wait_s
                ended = self._cond.wait_for(lambda: not any(w in self._active for w in targets), timeout=limit)
                log_event(log, "pinpad.cancel", pad=self.name, pending=True, ended=ended)
                return True
        return False if abort is not None else self._cancel_idle()

    def _cancel_idle(self) -> bool:
        if not self._lock.acquire(timeout=self.timing.grace_s):  # a command that began after this cancel
            log_event(log, "pinpad.cancel", pad=self.name, pending=False, sent=False)
            return False
        try:  # a GET_PIN answer first means the pad still had one pending (from a host that went away)
            answer = self._exchange(pp.cancel(), self.timing.grace_s, skip=frozenset({pp.Answer.GET_PIN}))
        finally:
            self._lock.release()
        self._expect(answer, pp.Answer.CANCEL, 2)
        try:
            result = pp.parse_cancel_answer(answer)
        except ValueError:
            raise PinPadUnavailable(detail="bad CANCEL answer") from None
        log_event(log, "pinpad.cancel", pad=self.name, pending=False, pad_result=result.name.lower())
        return result is pp.CancelResult.CANCELLED

    def _pin_result(self, answer: bytes, timeout_s: int) -> PinBlock:
        answer = self._expect(answer, pp.Answer.GET_PIN, None)
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

    # ---- GET_PIN and its CANCEL --------------------------------------------------------------

    def _pin_exchange(self, payload: bytes, wait: _PinWait, answer_timeout: float) -> bytes:
        with self._lock:
            if self._cancel_wanted(wait):
                raise kiosk_cancelled()  # nothing was sent: the pad never showed the prompt
            try:
                self.port.reset_input_buffer()
                self._send(payload)
                with self._cond:
                    self._wait = wait
                try:
                    answer = self._receive_pin(wait, time.monotonic() + answer_timeout)
                finally:
                    with self._cond:
                        self._wait = None
            except (serial.SerialException, OSError) as exc:
                raise PinPadUnavailable(detail=type(exc).__name__) from None
        with self._cond:
            cancelled = wait.sent > 0 or self._cancel_wanted(wait)
        if cancelled:
            log_event(log, "pinpad.cancelled", pad=self.name, cancel_frames=wait.sent)
            raise kiosk_cancelled()
        return answer

    def _receive_pin(self, wait: _PinWait, deadline: float) -> bytes:
        """The GET_PIN's answer and, when a CANCEL went out meanwhile, that CANCEL's answer after it."""
        answer = self._receive(deadline, wait, skip=frozenset({pp.Answer.CANCEL}))
        with self._cond:
            self._wait = None  # from now on a cancel() sends nothing: the pad is idle
            sent = wait.sent
        if sent:
            try:
                self._receive(time.monotonic() + self.timing.grace_s, wait, skip=frozenset({pp.Answer.GET_PIN}))
            except PinPadUnavailable as exc:  # the PIN entry did end; the next command clears the line
                log_event(log, "pinpad.cancel_unanswered", logging.WARNING, pad=self.name, detail=exc.fields.get("detail"))
        return answer

    def _cancel_wanted(self, wait: _PinWait) -> bool:
        return self._cancel_gen != wait.gen or (wait.abort is not None and wait.abort.is_set())

    def _cancel_budget(self) -> float:
        """From the first CANCEL frame: every resend, then the pad's answer."""
        return (1 + pp.MAX_RESENDS) * self.timing.ack_s + self.timing.grace_s

    def _send_cancel(self, wait: _PinWait) -> None:
        """Put a CANCEL frame on the line (caller holds ``_cond``); its ACK is read by the waiting thread."""
        now = time.monotonic()
        if wait.sent > pp.MAX_RESENDS:
            raise PinPadUnavailable(detail="the pad did not acknowledge CANCEL")
        if wait.sent:
            log_event(log, "pinpad.resend", logging.WARNING, pad=self.name, attempt=wait.sent, command="cancel")
        else:
            wait.first_sent = now
        wait.sent += 1
        wait.ack_by = now + self.timing.ack_s
        try:
            self._write(pp.encode_frame(pp.cancel()))
        except (serial.SerialException, OSError) as exc:  # the waiting thread resends, then gives up
            log_event(log, "pinpad.write_failed", logging.WARNING, pad=self.name, detail=type(exc).__name__)

    def _tend_cancel(self, wait: _PinWait, deadline: float) -> float:
        """Send or resend the CANCEL this get_pin owes; once sent, the pad must answer promptly."""
        with self._cond:
            if not wait.acked and self._cancel_wanted(wait) and (wait.sent == 0 or time.monotonic() > wait.ack_by):
                self._send_cancel(wait)
            if wait.sent:
                deadline = min(deadline, wait.first_sent + self._cancel_budget())
        return deadline

    def _cancel_control(self, wait: _PinWait, byte: int) -> bool:
        """An ACK or NAK read while GET_PIN waits: the CANCEL's, if one is unacknowledged."""
        with self._cond:
            if not wait.sent or wait.acked:
                return False
            if byte == pp.ACK:
                wait.acked = True
            else:
                self._send_cancel(wait)
            return True

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
        """DISPLAY or STATUS: a GET_PIN or CANCEL answer before theirs is a late one, passed over."""
        with self._lock:
            return self._exchange(payload, answer_timeout, skip=frozenset({pp.Answer.CANCEL, pp.Answer.GET_PIN}))

    def _exchange(self, payload: bytes, answer_timeout: float, skip: frozenset[int]) -> bytes:
        """One command and its answer (caller holds ``_lock``)."""
        try:
            self.port.reset_input_buffer()
            self._send(payload)
            return self._receive(time.monotonic() + answer_timeout, skip=skip)
        except (serial.SerialException, OSError) as exc:
            raise PinPadUnavailable(detail=type(exc).__name__) from None

    def _write(self, data: bytes) -> None:
        with self._write_lock:
            self.port.write(data)

    def _send(self, payload: bytes) -> None:
        frame = pp.encode_frame(payload)
        for attempt in range(1 + pp.MAX_RESENDS):
            self._write(frame)
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

    def _receive(self, deadline: float, wait: _PinWait | None = None, skip: frozenset[int] = frozenset()) -> bytes:
        """The next answer frame, ACKed; frames whose kind is in ``skip`` (late answers to an
        earlier command) are ACKed and passed over. With ``wait``, a CANCEL is tended meanwhile."""
        line = _Incoming(self)
        while True:
            if wait is not None:
                deadline = self._tend_cancel(wait, deadline)
            line.check_deadline(deadline)
            data = self.port.read(1)
            if not data:
                continue
            if not line.in_frame and data[0] != pp.STX:
                if not (wait is not None and data[0] in (pp.ACK, pp.NAK) and self._cancel_control(wait, data[0])):
                    line.noise()
                continue
            payload = line.feed(data[0])
            if payload is None:
                continue
            self._write(bytes([pp.ACK]))
            if payload[0] not in skip:
                return payload
            log_event(log, "pinpad.late_answer", pad=self.name, kind=chr(payload[0]))

    def _nak(self, naks: int, reason: str) -> int:
        """Ask for the frame again once the line is quiet (the rest of a bad frame is dropped)."""
        log_event(log, "pinpad.nak", logging.WARNING, pad=self.name, reason=reason)
        if naks >= pp.MAX_RESENDS:
            raise PinPadUnavailable(detail=f"corrupt frames from the pad ({reason})")
        quiet_by = time.monotonic() + 5 * self.timing.inter_byte_s
        while self.port.read(256) and time.monotonic() < quiet_by:
            pass
        self._write(bytes([pp.NAK]))
        return naks + 1


class _Incoming:
    """One answer being read: the frame parser, NAK and noise counts, the inter-byte clock."""

    def __init__(self, pad: PinPad) -> None:
        self.pad = pad
        self.reader = pp.FrameReader()
        self.naks = 0
        self.noise_bytes = 0
        self.last_byte = time.monotonic()

    @property
    def in_frame(self) -> bool:
        return self.reader.in_frame

    def check_deadline(self, deadline: float) -> None:
        now = time.monotonic()
        if self.reader.in_frame and now - self.last_byte > self.pad.timing.inter_byte_s:
            self.reader.reset()
            self.naks = self.pad._nak(self.naks, "stalled frame")
        if (now > deadline and not self.reader.in_frame) or now > deadline + self.pad.timing.grace_s:
            raise PinPadUnavailable(detail="no answer from the pad")

    def noise(self) -> None:
        self.last_byte = time.monotonic()
        self.noise_bytes += 1
        if self.noise_bytes > MAX_NOISE:
            raise PinPadUnavailable(detail="line noise")

    def feed(self, byte: int) -> bytes | None:
        self.last_byte = time.monotonic()
        try:
            return self.reader.feed(byte)
        except pp.FrameError as exc:
            self.naks = self.pad._nak(self.naks, str(exc))
            return None
