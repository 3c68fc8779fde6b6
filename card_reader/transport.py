"""APDU exchange over any :class:`Link` (pyscard in production, a fake in unit tests).

61xx (GET RESPONSE) and 6Cxx (resend with the exact Le) are handled here, once, so nothing above
sees them (STYLE: python-emv's transmission layer). Every exchange is logged as one structured
line; command and answer bodies are shown only where :data:`LOG_BODIES` allows, so VERIFY's PIN
block and the records' personal data never reach a log.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

from card_reader.errors import MalformedAnswer
from card_reader.logs import log_event
from card_reader.protocol.card import Ins, get_response, with_le

log = logging.getLogger("card_reader.apdu")

MAX_GET_RESPONSE = 16
MAX_ANSWER = 4096

# (show command data, show answer data) by instruction; anything unlisted shows neither.
LOG_BODIES: dict[int, tuple[bool, bool]] = {
    Ins.SELECT: (True, True),
    Ins.READ_RECORD: (False, False),  # personal data
    Ins.GET_RESPONSE: (False, False),  # may continue any answer
    Ins.INTERNAL_AUTHENTICATE: (True, True),
    Ins.VERIFY: (False, False),  # the PIN block
    Ins.GET_DATA: (True, True),
}


class Link(Protocol):
    """One card connection: send a command APDU, get the answer data and the status word.

    Implementations raise :class:`~card_reader.errors.CardError` subclasses (card removed, reader
    unavailable) and never anything else.
    """

    def transmit(self, apdu: bytes) -> tuple[bytes, int]: ...


@dataclass(frozen=True)
class Response:
    data: bytes = field(repr=False)
    sw: int

    @property
    def ok(self) -> bool:
        return self.sw == 0x9000


def _log(apdu: bytes, data: bytes, sw: int, started: float) -> None:
    ins = apdu[1] if len(apdu) > 1 else -1
    show_cmd, show_ans = LOG_BODIES.get(ins, (False, False))
    fields: dict[str, object] = {"header": apdu[:4].hex(), "lc": max(len(apdu) - 5, 0), "sw": f"{sw:04X}",
                                 "answer_len": len(data), "ms": round((time.perf_counter() - started) * 1000, 2)}
    if show_cmd and len(apdu) > 5:
        fields["data"] = apdu[5:].hex()
    if show_ans and data:
        fields["answer"] = data.hex()
    log_event(log, "apdu", logging.DEBUG, **fields)


class Transport:
    def __init__(self, link: Link) -> None:
        self.link = link

    def _raw(self, apdu: bytes) -> tuple[bytes, int]:
        started = time.perf_counter()
        data, sw = self.link.transmit(apdu)
        if not 0 <= sw <= 0xFFFF:
            raise MalformedAnswer(detail="status word out of range")
        _log(apdu, data, sw, started)
        return data, sw

    def exchange(self, apdu: bytes) -> Response:
        """Send ``apdu``; return the whole answer and the final status word."""
        data, sw = self._raw(apdu)
        if sw >> 8 == 0x6C:
            data, sw = self._raw(with_le(apdu, sw & 0xFF))
            if sw >> 8 == 0x6C:
                raise MalformedAnswer(detail="card asked twice for another Le", sw=f"{sw:04X}")
        collected = bytearray(data)
        rounds = 0
        while sw >> 8 == 0x61:
            rounds += 1
            if rounds > MAX_GET_RESPONSE:
                raise MalformedAnswer(detail="too many GET RESPONSE rounds")
            more, sw = self._raw(get_response(sw & 0xFF))
            collected += more
            if len(collected) > MAX_ANSWER:
                raise MalformedAnswer(detail="answer too long")
        return Response(bytes(collected), sw)
