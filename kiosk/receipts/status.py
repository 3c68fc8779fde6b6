"""Printer status from ESC/POS real-time status bytes (``DLE EOT n``). Pure.

ESC/POS Command Reference, "DLE EOT n: transmit real-time status". Every answer byte has bits 1
and 4 set and bits 0 and 7 clear; a byte that does not is no status answer.

| n | meaning | bits used here |
|---|---|---|
| 1 | printer status | bit 3: offline |
| 2 | offline cause | bit 2: cover open; bit 5: printing stopped by paper end; bit 6: error |
| 4 | roll paper sensor | bits 2-3: paper near end; bits 5-6: paper end |
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from kiosk.receipts.errors import PaperOut, PrinterOffline, PrinterWriteTimeout

FIXED_MASK, FIXED_BITS = 0x93, 0x12


class Request(enum.IntEnum):
    """The ``n`` of ``DLE EOT n``."""

    PRINTER = 1
    OFFLINE_CAUSE = 2
    ERROR_CAUSE = 3
    PAPER = 4


# (request, bit mask) -> meaning
OFFLINE_BIT = (Request.PRINTER, 0x08)
COVER_OPEN_BIT = (Request.OFFLINE_CAUSE, 0x04)
PAPER_END_STOP_BIT = (Request.OFFLINE_CAUSE, 0x20)
ERROR_BIT = (Request.OFFLINE_CAUSE, 0x40)
NEAR_END_BITS = (Request.PAPER, 0x0C)
PAPER_END_BITS = (Request.PAPER, 0x60)


class Link(enum.Enum):
    READY = "ready"  # the printer answers
    NO_ANSWER = "no_answer"  # nothing came back in time: cable, power
    BLOCKED = "blocked"  # the line does not take our bytes (XOFF / buffer full)
    UNAVAILABLE = "unavailable"  # the serial device cannot be opened
    BAD_ANSWER = "bad_answer"  # bytes came back, but no status byte


class Paper(enum.Enum):
    OK = "ok"
    NEAR_END = "near_end"
    OUT = "out"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PrinterStatus:
    link: Link
    online: bool = False
    paper: Paper = Paper.UNKNOWN
    cover_open: bool = False
    error: bool = False

    @property
    def can_print(self) -> bool:
        return self.link is Link.READY and self.online and self.paper in (Paper.OK, Paper.NEAR_END)

    def to_dict(self) -> dict[str, Any]:
        return {"link": self.link.value, "online": self.online, "paper": self.paper.value,
                "cover_open": self.cover_open, "error": self.error, "can_print": self.can_print}


def is_status_byte(value: int) -> bool:
    return value & FIXED_MASK == FIXED_BITS


def _set(answers: dict[Request, int], bit: tuple[Request, int]) -> bool:
    request, mask = bit
    return bool(answers[request] & mask) if request in answers else False


def decode(answers: dict[Request, int]) -> PrinterStatus:
    """The status that answers to PRINTER (required), OFFLINE_CAUSE and PAPER (optional) mean."""
    if Request.PRINTER not in answers or not all(is_status_byte(v) for v in answers.values()):
        return PrinterStatus(Link.BAD_ANSWER)
    if Request.PAPER in answers:
        paper = Paper.OUT if _set(answers, PAPER_END_BITS) else Paper.NEAR_END if _set(answers, NEAR_END_BITS) else Paper.OK
    else:
        paper = Paper.OUT if _set(answers, PAPER_END_STOP_BIT) else Paper.UNKNOWN
    return PrinterStatus(Link.READY, online=not _set(answers, OFFLINE_BIT), paper=paper,
                         cover_open=_set(answers, COVER_OPEN_BIT), error=_set(answers, ERROR_BIT))


def check_before(status: PrinterStatus) -> None:
    """Raise the PrinterError that stops a receipt from being sent, if any."""
    if status.link is Link.BLOCKED:
        raise PrinterWriteTimeout(phase="status")
    if status.link is not Link.READY:
        reason = {Link.UNAVAILABLE: "cannot_open", Link.BAD_ANSWER: "bad_answer"}.get(status.link, "no_answer")
        raise PrinterOffline(reason)
    if status.paper is Paper.OUT:
        raise PaperOut()
    if status.cover_open:
        raise PrinterOffline("cover_open")
    if status.error:
        raise PrinterOffline("error")
    if not status.online:
        raise PrinterOffline("offline")


def check_after(status: PrinterStatus) -> None:
    """After sending: no good answer means the printer did not take the whole receipt."""
    if status.link in (Link.NO_ANSWER, Link.UNAVAILABLE):
        raise PrinterOffline("link_lost", phase="after_print")
    check_before(status)
