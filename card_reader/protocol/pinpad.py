"""Wire facts of the serial PIN pad (DESIGN §7): framing, commands and answers.

Frame: ``STX | LEN (2 bytes, big-endian) | payload | ETX | LRC`` where LRC is the XOR of every
byte from LEN through ETX. The receiver answers a good frame with ACK and a bad one with NAK; a
sender resends at most :data:`MAX_RESENDS` times. Every command frame gets one answer frame, and
answers come in the order of their commands.

====================  ==============================================  ===========================
command (host→pad)    payload                                         answer (pad→host)
====================  ==============================================  ===========================
DISPLAY               ``D`` (0x44) text (UTF-8, ≤ 64 bytes)           ``d`` 00
GET_PIN               ``P`` (0x50) timeout s (1) amount Rp (8, BE)    ``p`` 00 PIN block (8) /
                      prompt                                          ``p`` 01 (cancelled) /
                                                                      ``p`` 02 (timed out)
CANCEL                ``C`` (0x43)                                    ``c`` 01 (a pending GET_PIN
                                                                      was cancelled; its ``p`` 01
                                                                      comes first) /
                                                                      ``c`` 00 (nothing pending:
                                                                      the pad is idle)
STATUS                ``S`` (0x53)                                    ``s`` state (1) model text
(anything else)                                                       ``e`` error code (1)
====================  ==============================================  ===========================

While a GET_PIN waits for the farmer the pad keeps reading the line: a CANCEL ends the wait at
once (ACK, then ``p`` 01, then ``c`` 01); any other command is refused at once with ``e`` 03
(busy). A CANCEL with nothing pending changes nothing (ACK, then ``c`` 00). A CANCEL is framed,
ACKed, NAKed and resent like every other command.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

STX, ETX, ACK, NAK = 0x02, 0x03, 0x06, 0x15
MAX_PAYLOAD = 256
MAX_RESENDS = 3
MAX_TEXT = 64
MAX_PIN_TIMEOUT = 120
ACK_TIMEOUT_S = 0.5  # a receiver ACKs or NAKs within this time
INTER_BYTE_TIMEOUT_S = 0.2  # a frame that stalls longer than this is corrupt
ANSWER_GRACE_S = 2.0  # an answer arrives within this time (GET_PIN: after its own timeout)


class Command(enum.IntEnum):
    DISPLAY = ord("D")
    GET_PIN = ord("P")
    CANCEL = ord("C")
    STATUS = ord("S")


class Answer(enum.IntEnum):
    DISPLAY = ord("d")
    GET_PIN = ord("p")
    CANCEL = ord("c")
    STATUS = ord("s")
    ERROR = ord("e")


class PinResult(enum.IntEnum):
    ENTERED = 0x00
    CANCELLED = 0x01
    TIMEOUT = 0x02


class CancelResult(enum.IntEnum):
    IDLE = 0x00  # nothing was pending
    CANCELLED = 0x01  # a pending GET_PIN was answered CANCELLED


class PadState(enum.IntEnum):
    READY = 0x00
    BUSY = 0x01


class PadErrorCode(enum.IntEnum):
    UNKNOWN_COMMAND = 0x01
    BAD_PAYLOAD = 0x02
    BUSY = 0x03


def lrc(data: bytes) -> int:
    out = 0
    for b in data:
        out ^= b
    return out


def encode_frame(payload: bytes) -> bytes:
    if not 1 <= len(payload) <= MAX_PAYLOAD:
        raise ValueError(f"a frame carries 1-{MAX_PAYLOAD} bytes")
    body = len(payload).to_bytes(2, "big") + payload + bytes([ETX])
    return bytes([STX]) + body + bytes([lrc(body)])


class FrameError(ValueError):
    """A corrupt frame: wrong length, missing ETX or bad LRC."""


class FrameReader:
    """Incremental frame parser: feed bytes, get whole payloads; corrupt frames raise FrameError.

    Bytes before an STX (line noise, stray ACK/NAK) are skipped by :meth:`feed` only when the
    caller asks (``skip_noise``); in a frame, every byte counts.
    """

    def __init__(self) -> None:
        self._buf = bytearray()

    @property
    def in_frame(self) -> bool:
        return bool(self._buf)

    def reset(self) -> None:
        self._buf.clear()

    def feed(self, byte: int) -> bytes | None:
        """Add one byte; return the payload when a frame completes."""
        if not self._buf:
            if byte != STX:
                raise FrameError(f"expected STX, got {byte:02X}")
            self._buf.append(byte)
            return None
        self._buf.append(byte)
        if len(self._buf) < 3:
            return None
        length = int.from_bytes(self._buf[1:3], "big")
        if not 1 <= length <= MAX_PAYLOAD:
            self.reset()
            raise FrameError(f"bad length {length}")
        if len(self._buf) < length + 5:
            return None
        frame = bytes(self._buf)
        self.reset()
        body, check = frame[1:-1], frame[-1]
        if body[-1] != ETX:
            raise FrameError("missing ETX")
        if lrc(body) != check:
            raise FrameError("bad LRC")
        return body[2:-1]


# ---- payloads -----------------------------------------------------------------------------


def _text(text: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) > MAX_TEXT:
        raise ValueError(f"at most {MAX_TEXT} bytes of text")
    return raw


def display(text: str) -> bytes:
    return bytes([Command.DISPLAY]) + _text(text)


def get_pin(timeout_s: int, amount: int, prompt: str) -> bytes:
    if not 1 <= timeout_s <= MAX_PIN_TIMEOUT:
        raise ValueError(f"PIN timeout is 1-{MAX_PIN_TIMEOUT} s")
    if not 0 <= amount < 2**63:
        raise ValueError("amount is a non-negative whole number of rupiah")
    return bytes([Command.GET_PIN, timeout_s]) + amount.to_bytes(8, "big") + _text(prompt)


def status() -> bytes:
    return bytes([Command.STATUS])


def cancel() -> bytes:
    return bytes([Command.CANCEL])


@dataclass(frozen=True)
class GetPinRequest:
    timeout_s: int
    amount: int
    prompt: str


def parse_get_pin(payload: bytes) -> GetPinRequest:
    """Pad side: a GET_PIN payload; raises ValueError when malformed."""
    if len(payload) < 10 or payload[0] != Command.GET_PIN:
        raise ValueError("short GET_PIN")
    timeout_s = payload[1]
    if not 1 <= timeout_s <= MAX_PIN_TIMEOUT:
        raise ValueError("bad timeout")
    prompt = payload[10:]
    if len(prompt) > MAX_TEXT:
        raise ValueError("prompt too long")
    return GetPinRequest(timeout_s, int.from_bytes(payload[2:10], "big"), prompt.decode("utf-8"))


def pin_answer(result: PinResult, block: bytes = b"") -> bytes:
    if (result is PinResult.ENTERED) != (len(block) == 8):
        raise ValueError("an entered PIN carries an 8-byte block; other results carry none")
    return bytes([Answer.GET_PIN, result]) + block


def cancel_answer(result: CancelResult) -> bytes:
    return bytes([Answer.CANCEL, result])


def parse_cancel_answer(payload: bytes) -> CancelResult:
    """Host side: a CANCEL answer; raises ValueError when malformed."""
    if len(payload) != 2 or payload[0] != Answer.CANCEL or payload[1] not in tuple(CancelResult):
        raise ValueError("bad CANCEL answer")
    return CancelResult(payload[1])


def status_answer(state: PadState, model: str) -> bytes:
    return bytes([Answer.STATUS, state]) + _text(model)


def error_answer(code: PadErrorCode) -> bytes:
    return bytes([Answer.ERROR, code])
