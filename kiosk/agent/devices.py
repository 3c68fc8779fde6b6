"""The agent's device set: the card reader (always), the PIN pad and the receipt printer with its
print queue (each when configured)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from card_reader.errors import CardError, PinPadUnavailable
from card_reader.monitor import MonitorHub
from card_reader.pin import PinBlock
from card_reader.pinpad import PinPad
from card_reader.session import ReaderSession
from kiosk.agent.config import AgentSettings
from kiosk.agent.events import EventLog
from kiosk.agent.printing import PrintService


class StatusReporting(Protocol):
    """Any further device (a cash drawer, a scale) reports its status as a small JSON-able dict."""

    def status_dict(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


class PinPadPort:
    """The PIN pad, opened on first use and reopened after a failure (a pad may be re-plugged)."""

    def __init__(self, path: str, baudrate: int) -> None:
        self.path, self.baudrate = path, baudrate
        self._pad: PinPad | None = None
        self._lock = threading.Lock()
        self.busy = False
        self.last_error: str | None = None

    def _use(self) -> PinPad:
        if self._pad is None:
            self._pad = PinPad.open(self.path, self.baudrate)
        return self._pad

    def _failed(self, exc: CardError) -> None:
        if isinstance(exc, PinPadUnavailable) and self._pad is not None:
            self._pad.close()
            self._pad = None
        self.last_error = exc.code

    def get_pin(self, timeout_s: int, amount: int, prompt: str) -> PinBlock:
        with self._lock:
            self.busy = True
            try:
                block = self._use().get_pin(timeout_s, amount, prompt)
            except CardError as exc:
                self._failed(exc)
                raise
            finally:
                self.busy = False
            self.last_error = None
            return block

    def display(self, text: str) -> None:
        with self._lock:
            try:
                self._use().display(text)
            except CardError as exc:
                self._failed(exc)
                raise

    def status_dict(self) -> dict[str, Any]:
        if self.busy or not self._lock.acquire(timeout=0.5):
            return {"port": self.path, "connected": True, "state": "busy"}
        try:
            status = self._use().status()
            self.last_error = None
            return {"port": self.path, "connected": True, "state": status.state.name.lower(), "model": status.model}
        except CardError as exc:
            self._failed(exc)
            return {"port": self.path, "connected": False, "error": exc.code}
        finally:
            self._lock.release()

    def close(self) -> None:
        with self._lock:
            if self._pad is not None:
                self._pad.close()
                self._pad = None


@dataclass
class Devices:
    hub: MonitorHub
    reader: ReaderSession
    events: EventLog
    pinpad: PinPadPort | None = None
    printer: PrintService | None = None
    extra: dict[str, StatusReporting] = field(default_factory=dict)

    @classmethod
    def open(cls, settings: AgentSettings) -> Devices:
        printer = PrintService.open(settings) if settings.printer.device else None  # a bad queue folder fails here
        events = EventLog()
        hub = MonitorHub()
        reader = ReaderSession(hub, settings.reader, exclusive=settings.exclusive, on_event=events.append)
        hub.start()
        pinpad = PinPadPort(settings.pinpad, settings.pinpad_baud) if settings.pinpad else None
        return cls(hub, reader, events, pinpad, printer.start() if printer else None)

    def close(self) -> None:
        for device in (self.printer, *self.extra.values(), self.pinpad):
            if device is not None:
                device.close()
        self.reader.close()
        self.hub.close()
