"""The emulated receipt printer on its end of a serial pty: reads, decodes, prints, answers status.

One thread owns the serial line; the control interface asks it for changes (``call``) and waits
until they are done, so when a fault request returns the printer is in that state.

Real-time status (``DLE EOT n``, ESC/POS Command Reference) is answered with the bytes an
Epson-compatible printer sends: bits 1 and 4 always set, bits 0 and 7 always clear (so a status
byte is never XON 0x11 or XOFF 0x13). Faults:

* ``paper``: ``near_end`` (prints, reports near end) or ``out`` (offline, print data discarded);
* ``cover_open``: offline, print data discarded;
* ``offline``: ``drop`` closes the line (cable pulled / power off: no answers, bytes in flight are
  lost) or ``stall`` sends XOFF and stops reading (buffer full: the host's writes block); with
  ``after_bytes`` it happens after that many more bytes, i.e. mid-receipt;
* ``exit_after_bytes``: the process dies (``os._exit``) after that many more bytes: a power cut.

Going offline or out of paper loses the unfinished receipt (counted as ``aborted``). Coming back
(and starting) drains stale bytes from the line and sends XON, like a printer after power-on.
"""

from __future__ import annotations

import logging
import os
import queue
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import serial

from firmware_stubs.printer.decoder import Command, Decoder
from firmware_stubs.printer.paper import Paper, Receipt
from firmware_stubs.printer.store import ReceiptStore

log = logging.getLogger("firmware_stubs.printer")
XON, XOFF = b"\x11", b"\x13"
IDLE_S = 1.0  # an incomplete command that sees no byte for this long is reported as truncated
QUIET_S = 0.1
XOFF_REPEAT_S = 0.1  # draining: the line counts as empty after this long without a byte
DRAIN_MAX_S = 3.0
EXIT_CODE_POWER_CUT = 70
LINE_ERRORS = (OSError, ValueError, termios.error, serial.SerialException)  # the pty went away

# DLE EOT n answers: fixed bits 1 and 4 (0x12); ESC/POS "transmit real-time status".
STATUS_FIXED = 0x12
OFFLINE = 0x08  # n=1 bit 3
COVER_OPEN = 0x04  # n=2 bit 2
PAPER_END_STOP = 0x20  # n=2 bit 5
NEAR_END = 0x0C  # n=4 bits 2-3
PAPER_END = 0x60  # n=4 bits 5-6
# GS r 1: paper sensor (bits 0-1 near end, bits 2-3 end); GS r 2: drawer (bit 0).
GS_R_NEAR_END, GS_R_END = 0x03, 0x0C


class Line(Protocol):
    """The serial line (pyserial's ``Serial`` satisfies it)."""

    in_waiting: int

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes) -> int | None: ...

    def reset_input_buffer(self) -> None: ...

    def close(self) -> None: ...


@dataclass
class Faults:
    paper: str = "ok"  # ok | near_end | out
    cover_open: bool = False
    offline: str = ""  # "" | drop | stall
    pending_offline: str = ""
    offline_after_bytes: int | None = None
    exit_after_bytes: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"paper": self.paper, "cover_open": self.cover_open, "offline": self.offline or False,
                "pending_offline": self.pending_offline or None, "offline_after_bytes": self.offline_after_bytes,
                "exit_after_bytes": self.exit_after_bytes}


def realtime_status(n: int, faults: Faults) -> bytes:
    """The byte a printer answers to DLE EOT n (n 1-4), or nothing for other n."""
    paper_out = faults.paper == "out"
    if n == 1:
        return bytes([STATUS_FIXED | (OFFLINE if paper_out or faults.cover_open else 0)])
    if n == 2:
        return bytes([STATUS_FIXED | (COVER_OPEN if faults.cover_open else 0) | (PAPER_END_STOP if paper_out else 0)])
    if n == 3:
        return bytes([STATUS_FIXED])
    if n == 4:
        bits = NEAR_END | PAPER_END if paper_out else NEAR_END if faults.paper == "near_end" else 0
        return bytes([STATUS_FIXED | bits])
    return b""


def transmit_status(n: int, faults: Faults) -> bytes:
    """GS r n: n 1/49 paper sensor, n 2/50 drawer kick connector."""
    if n in (1, 49):
        return bytes([GS_R_NEAR_END | GS_R_END if faults.paper == "out" else GS_R_NEAR_END if faults.paper == "near_end" else 0])
    return b"\x00" if n in (2, 50) else b""


class PrinterDevice:
    def __init__(self, opener: Callable[[], Line], store: ReceiptStore, columns: int = 42) -> None:
        self.opener = opener
        self.store = store
        self.paper = Paper(columns)
        self.faults = Faults()
        self.decoder = Decoder()
        self.aborted = 0
        self.dropped_bytes = 0
        self._line: Line | None = None
        self._requests: queue.Queue[tuple[Callable[[], Any], threading.Event, list[Any]]] = queue.Queue()
        self._stop = threading.Event()
        self._last_byte = time.monotonic()

    # ---- control (any thread) --------------------------------------------------------------

    def call(self, fn: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Run ``fn`` on the line's thread between reads and return its result."""
        done, box = threading.Event(), list[Any]()
        self._requests.put((fn, done, box))
        if not done.wait(timeout):
            raise TimeoutError("printer thread did not answer")
        return box[0] if box else None

    def stop(self) -> None:
        self._stop.set()

    def status(self) -> dict[str, Any]:
        return {"columns": self.paper.columns, "link": self._link_state(), **self.faults.as_dict(),
                "receipts": self.store.last, "aborted": self.aborted, "dropped_bytes": self.dropped_bytes,
                "current": {"lines": len(self.paper.receipt.lines), "errors": list(self.paper.receipt.errors),
                            "decoder_pending": self.decoder.pending}}

    def set_faults(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply fault changes (already validated) on the line's thread."""
        def apply() -> dict[str, Any]:
            for key in ("paper", "cover_open", "exit_after_bytes"):
                if key in changes:
                    setattr(self.faults, key, changes[key])
            if self.faults.paper == "out" or self.faults.cover_open:
                self._abort("paper_out" if self.faults.paper == "out" else "cover_open")
            if "offline" in changes:
                self._change_offline(changes["offline"], changes.get("after_bytes"))
            return self.status()
        result: dict[str, Any] = self.call(apply)
        return result

    def _change_offline(self, mode: str, after_bytes: int | None) -> None:
        if not mode:
            self.faults.pending_offline, self.faults.offline_after_bytes = "", None
            if self.faults.offline:
                self._go_online()
        elif after_bytes:
            self.faults.pending_offline, self.faults.offline_after_bytes = mode, after_bytes
        else:
            self._go_offline(mode)

    # ---- the line's thread -----------------------------------------------------------------

    def run(self) -> None:
        self._open()
        while not self._stop.is_set():
            self._serve_requests()
            try:
                self._step()
            except LINE_ERRORS as exc:
                log.warning("line_error error=%s", type(exc).__name__)
                self._abort("line_error")
                self._close()
        self._close()

    def _step(self) -> None:
        if self.faults.offline:
            self._stop.wait(XOFF_REPEAT_S)
            if self.faults.offline == "stall":
                self._write(XOFF)  # busy is a state: say it again for a host that just connected
            return
        if self._line is None:  # the link was missing or broke: try again, like a printer re-plugged
            self._stop.wait(0.2)
            self._open()
            return
        data = self._line.read(max(1, min(self._line.in_waiting, 4096)))
        if data:
            self._last_byte = time.monotonic()
            self._receive(data)
        elif self.decoder.pending and time.monotonic() - self._last_byte > IDLE_S:
            for token in self.decoder.finish():
                self.paper.apply(token)

    def _serve_requests(self) -> None:
        while True:
            try:
                fn, done, box = self._requests.get_nowait()
            except queue.Empty:
                return
            try:
                box.append(fn())
            finally:
                done.set()

    def _open(self) -> None:
        try:
            self._line = self.opener()
            self._drain()
        except LINE_ERRORS as exc:
            log.warning("open_failed error=%s", exc)
            self._close()
            return
        self._write(XON)

    def _close(self) -> None:
        line, self._line = self._line, None
        if line is not None:
            try:
                line.close()
            except LINE_ERRORS:
                pass  # already gone

    def _write(self, data: bytes) -> None:
        if self._line is None:
            return
        try:
            self._line.write(data)
        except LINE_ERRORS as exc:
            log.warning("line_error error=%s", type(exc).__name__)
            self._close()

    def _drain(self) -> None:
        """Throw away whatever waits on the line (bytes sent while this printer was off)."""
        if self._line is None:
            return
        self._line.reset_input_buffer()
        deadline, quiet_since = time.monotonic() + DRAIN_MAX_S, time.monotonic()
        while time.monotonic() - quiet_since < QUIET_S and time.monotonic() < deadline:
            if self._line.read(max(1, self._line.in_waiting)):
                quiet_since = time.monotonic()

    def _receive(self, data: bytes) -> None:
        if self.faults.exit_after_bytes is not None:
            if len(data) >= self.faults.exit_after_bytes:
                self._feed(data[: self.faults.exit_after_bytes])
                log.warning("power_cut exit_code=%d", EXIT_CODE_POWER_CUT)
                logging.shutdown()
                os._exit(EXIT_CODE_POWER_CUT)
            self.faults.exit_after_bytes -= len(data)
        if self.faults.offline_after_bytes is not None:
            if len(data) >= self.faults.offline_after_bytes:
                self._feed(data[: self.faults.offline_after_bytes])
                self._go_offline(self.faults.pending_offline)
                return
            self.faults.offline_after_bytes -= len(data)
        self._feed(data)

    def _feed(self, data: bytes) -> None:
        halted = self.faults.paper == "out" or self.faults.cover_open
        if halted:  # status requests are still answered; print data goes nowhere
            self.dropped_bytes += len(data)
        for token in self.decoder.feed(data):
            if isinstance(token, Command) and token.name in ("realtime_status", "transmit_status"):
                self.dropped_bytes -= (2 + len(token.params)) if halted else 0
                self._answer(token)
            elif not halted:
                done = self.paper.apply(token)
                if done is not None:
                    self._save(done)

    def _answer(self, command: Command) -> None:
        n = command.params[0]
        answer = realtime_status(n, self.faults) if command.name == "realtime_status" else transmit_status(n, self.faults)
        if answer:
            self._write(answer)
        elif not answer:
            self.paper.error("bad_parameter", f"{command.name} n={n}")

    def _save(self, receipt: Receipt) -> None:
        number = self.store.save(receipt.as_dict(self.paper.columns))
        log.info("receipt_printed number=%d lines=%d qr=%d errors=%d", number, len(receipt.lines),
                 len(receipt.qr), len(receipt.errors))

    def _abort(self, why: str) -> None:
        self.decoder = Decoder()
        if self.paper.abort() is not None:
            self.aborted += 1
            log.info("receipt_aborted reason=%s", why)

    def _go_offline(self, mode: str) -> None:
        self._abort(f"offline_{mode}")
        self.faults.offline, self.faults.pending_offline, self.faults.offline_after_bytes = mode, "", None
        if mode == "drop":
            self._close()
        else:
            self._write(XOFF)
        log.info("offline mode=%s", mode)

    def _go_online(self) -> None:
        self.faults.offline = ""
        if self._line is None:
            self._open()
            return
        try:
            self._drain()
        except LINE_ERRORS:
            self._close()
            return
        self._write(XON)
        log.info("online")

    def _link_state(self) -> str:
        if self.faults.offline:
            return {"drop": "closed", "stall": "stalled"}[self.faults.offline]
        return "open" if self._line is not None else "closed"


def open_line(path: Path | str, baudrate: int) -> Callable[[], Line]:
    def opener() -> Line:
        try:
            line: Line = serial.Serial(str(path), baudrate=baudrate, timeout=0.05)
        except serial.SerialException as exc:
            raise OSError(str(exc)) from None
        return line
    return opener
