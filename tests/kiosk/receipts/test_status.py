"""Real-time status bytes -> printer status -> the error that stops (or does not stop) a receipt."""

from __future__ import annotations

import pytest

from kiosk.receipts import (
    Link,
    Paper,
    PaperOut,
    PrinterOffline,
    PrinterStatus,
    PrinterWriteTimeout,
)
from kiosk.receipts.errors import ReceiptError
from kiosk.receipts.status import Request, check_after, check_before, decode

P, C, S = Request.PRINTER, Request.OFFLINE_CAUSE, Request.PAPER


@pytest.mark.parametrize("answers, expected", [
    ({P: 0x12, C: 0x12, S: 0x12}, PrinterStatus(Link.READY, True, Paper.OK)),
    ({P: 0x12, C: 0x12, S: 0x1E}, PrinterStatus(Link.READY, True, Paper.NEAR_END)),
    ({P: 0x1A, C: 0x32, S: 0x7E}, PrinterStatus(Link.READY, False, Paper.OUT)),
    ({P: 0x1A, C: 0x16, S: 0x12}, PrinterStatus(Link.READY, False, Paper.OK, cover_open=True)),
    ({P: 0x1A, C: 0x52, S: 0x12}, PrinterStatus(Link.READY, False, Paper.OK, error=True)),
    ({P: 0x1A, C: 0x32}, PrinterStatus(Link.READY, False, Paper.OUT)),
    ({P: 0x12}, PrinterStatus(Link.READY, True, Paper.UNKNOWN)),
    ({P: 0x00, C: 0x12, S: 0x12}, PrinterStatus(Link.BAD_ANSWER)),  # fixed bits missing: not a status byte
    ({P: 0x13}, PrinterStatus(Link.BAD_ANSWER)),  # XOFF is never a status byte
    ({C: 0x12}, PrinterStatus(Link.BAD_ANSWER)),
])
def test_decode(answers: dict[Request, int], expected: PrinterStatus) -> None:
    assert decode(answers) == expected


@pytest.mark.parametrize("status, error, reason", [
    (PrinterStatus(Link.UNAVAILABLE), PrinterOffline, "cannot_open"),
    (PrinterStatus(Link.NO_ANSWER), PrinterOffline, "no_answer"),
    (PrinterStatus(Link.BAD_ANSWER), PrinterOffline, "bad_answer"),
    (PrinterStatus(Link.BLOCKED), PrinterWriteTimeout, None),
    (PrinterStatus(Link.READY, False, Paper.OUT), PaperOut, None),
    (PrinterStatus(Link.READY, False, Paper.OK, cover_open=True), PrinterOffline, "cover_open"),
    (PrinterStatus(Link.READY, False, Paper.OK, error=True), PrinterOffline, "error"),
    (PrinterStatus(Link.READY, False, Paper.OK), PrinterOffline, "offline"),
])
def test_check_before_refuses_with_a_clear_error(status: PrinterStatus, error: type[ReceiptError],
                                                 reason: str | None) -> None:
    with pytest.raises(error) as caught:
        check_before(status)
    assert caught.value.fields.get("reason") == reason
    assert caught.value.message_id and caught.value.message_en and caught.value.message_id != caught.value.message_en


def test_ready_printer_passes_and_no_answer_after_printing_is_a_lost_link() -> None:
    check_before(PrinterStatus(Link.READY, True, Paper.NEAR_END))
    check_after(PrinterStatus(Link.READY, True, Paper.OK))
    with pytest.raises(PrinterOffline) as caught:
        check_after(PrinterStatus(Link.NO_ANSWER))
    assert caught.value.fields == {"reason": "link_lost", "phase": "after_print"}
