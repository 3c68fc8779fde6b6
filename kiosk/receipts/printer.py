"""The receipt printer driver: python-escpos's serial printer behind a small, thread-safe facade.

``print_receipt`` asks the real-time status first (offline, cover open, paper out: refused before a
byte is printed), sends the receipt, then asks again: the printer answers ``DLE EOT`` only after it
has taken every byte before it, so a good answer means the whole receipt, cut included, reached the
printer. Anything else raises a :class:`~kiosk.receipts.errors.PrinterError`; the receipt then
counts as **not printed** (the caller keeps it queued) and the line is dropped and reopened on the
next call, as the printer may have been unplugged. The line uses XON/XOFF flow control, so a
printer whose buffer is full stops our writes and ``write_timeout_s`` turns that into
:class:`~kiosk.receipts.errors.PrinterWriteTimeout`.

The device agent owns one ``ReceiptPrinter`` (``Devices.printer``; ``status_dict`` and ``close``
are what it asks of a device).
"""

from __future__ import annotations

import logging
import termios
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import serial
from escpos.constants import RT_STATUS
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Serial

from card_reader.logs import log_event
from kiosk.receipts.errors import PrinterError, PrinterOffline, PrinterWriteTimeout
from kiosk.receipts.layout import Line, check_width
from kiosk.receipts.model import Receipt
from kiosk.receipts.output import send_lines
from kiosk.receipts.render import render_lines
from kiosk.receipts.status import (
    Link,
    Paper,
    PrinterStatus,
    Request,
    check_after,
    check_before,
    decode,
)

log = logging.getLogger("kiosk.receipts.printer")
BUSY_WAIT_S = 0.5
# What a serial line raises when the device is unplugged or the pty went away.
LINE_ERRORS = (serial.SerialException, OSError, termios.error, ValueError)


class _StatusSerial(Serial):  # type: ignore[misc]
    """python-escpos's serial printer, reading the single byte a real-time status answer has
    (its default ``_read`` waits for 16 bytes, i.e. the whole timeout, on every status request)."""

    def _read(self) -> bytes:
        data: bytes = self.device.read(1)
        return data


@dataclass(frozen=True)
class PrintResult:
    lines: int
    qr: tuple[str, ...]
    status: PrinterStatus  # after printing: paper near end is worth telling the operator
    elapsed_ms: float

    @property
    def paper_near_end(self) -> bool:
        return self.status.paper is Paper.NEAR_END


class ReceiptPrinter:
    def __init__(self, path: str, *, baudrate: int = 9600, width: int = 42, status_timeout_s: float = 0.5,
                 write_timeout_s: float = 5.0) -> None:
        self.path, self.baudrate, self.width = path, baudrate, check_width(width)
        self.status_timeout_s, self.write_timeout_s = status_timeout_s, write_timeout_s
        self._printer: _StatusSerial | None = None
        self._lock = threading.Lock()
        self.last_status: PrinterStatus | None = None

    # ---- public ----------------------------------------------------------------------------

    def status(self) -> PrinterStatus:
        with self._lock:
            return self._status()

    def print_receipt(self, receipt: Receipt) -> PrintResult:
        """Print one receipt completely or raise a PrinterError (then it did not print)."""
        fields: dict[str, Any] = {"kind": receipt.kind.value, "journal": receipt.header.proof.journal_id, "copy": receipt.header.copy}
        try:
            result = self.print_lines(render_lines(receipt, self.width))
        except PrinterError as exc:
            log_event(log, "receipt_not_printed", logging.WARNING, error=exc.code, **fields, **exc.fields)
            raise
        log_event(log, "receipt_printed", **fields, ms=round(result.elapsed_ms, 1))
        return result

    def print_lines(self, lines: Sequence[Line]) -> PrintResult:
        """Print any laid-out lines as one cut receipt (end-of-day reports use this too)."""
        started = time.perf_counter()
        with self._lock:
            check_before(self._status())
            self._send(lines)
            after = self._status()
            check_after(after)
        qr = tuple(line.qr for line in lines if line.qr is not None)
        return PrintResult(len(lines), qr, after, (time.perf_counter() - started) * 1000)

    def status_dict(self) -> dict[str, Any]:
        """For the agent's ``/v1/status``; never waits long behind a receipt being printed."""
        base = {"port": self.path, "width": self.width}
        if not self._lock.acquire(timeout=BUSY_WAIT_S):
            last = self.last_status.to_dict() if self.last_status else {}
            return {**base, "connected": True, "state": "busy", **last}
        try:
            status = self._status()
        finally:
            self._lock.release()
        return {**base, "connected": status.link is Link.READY, "state": "ready" if status.can_print else "error",
                **status.to_dict()}

    def close(self) -> None:
        with self._lock:
            self._drop()

    # ---- the line --------------------------------------------------------------------------

    def _open(self) -> _StatusSerial:
        if self._printer is None:
            printer = _StatusSerial(devfile=self.path, baudrate=self.baudrate, timeout=self.status_timeout_s,
                                    dsrdtr=False, xonxoff=True)
            printer.open()
            printer.device.write_timeout = self.write_timeout_s
            # an XOFF left from an earlier session must not keep this line stopped (tcflow TCOON)
            printer.device.set_output_flow_control(True)
            self._printer = printer
        return self._printer

    def _drop(self) -> None:
        """Forget the line; bytes not yet sent are discarded so no half receipt trickles out later."""
        printer, self._printer = self._printer, None
        if printer is None:
            return
        try:
            if printer.device is not None and printer.device.is_open:
                printer.device.reset_output_buffer()
            printer.close()
        except LINE_ERRORS as exc:
            log_event(log, "printer_close_failed", logging.WARNING, error=type(exc).__name__)
            printer._device = False  # python-escpos's "not connected": its __del__ must not try again

    def _status(self) -> PrinterStatus:
        status = self._read_status()
        if status.link is not Link.READY:
            self._drop()
        if status != self.last_status:
            log_event(log, "printer_status", **status.to_dict())
        self.last_status = status
        return status

    def _read_status(self) -> PrinterStatus:
        try:
            printer = self._open()
        except DeviceNotFoundError:
            return PrinterStatus(Link.UNAVAILABLE)
        answers: dict[Request, int] = {}
        try:
            for request in (Request.PRINTER, Request.OFFLINE_CAUSE, Request.PAPER):
                printer.device.reset_input_buffer()
                answer = printer.query_status(RT_STATUS + bytes([request]))
                if not answer:
                    return PrinterStatus(Link.NO_ANSWER)
                answers[request] = answer[0]
        except serial.SerialTimeoutException:
            return PrinterStatus(Link.BLOCKED)
        except LINE_ERRORS:
            return PrinterStatus(Link.NO_ANSWER)
        return decode(answers)

    def _send(self, lines: Sequence[Line]) -> None:
        printer = self._open()
        try:
            send_lines(printer, lines)
        except serial.SerialTimeoutException:
            self._drop()
            raise PrinterWriteTimeout(port=self.path, timeout_s=self.write_timeout_s) from None
        except LINE_ERRORS as exc:
            self._drop()
            raise PrinterOffline("link_lost", port=self.path, detail=type(exc).__name__) from None
