"""The agent's device set: the card reader (always), the PIN pad and the receipt printer with its
print queue (each when configured)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from card_reader.errors import CardError, PinPadUnavailable
from card_reader.monitor import MonitorHub
from card_reader.pin import PinBlock
from card_reader.pinpad import PinPad
from card_reader.session import ReaderSession, SessionEvent
from kiosk.agent.config import AgentSettings
from kiosk.agent.events import EventLog
from kiosk.agent.printing import PrintService

log = logging.getLogger("kiosk.agent")


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
            pad = PinPad.open(self.path, self.baudrate)
            try:  # a PIN entry left running by an agent that died would answer the next GET_PIN "busy"
                pad.cancel()
            except CardError as exc:  # no answer now: the GET_PIN that follows says what is wrong
                log.info("event=pinpad.open_cancel_failed code=%s", exc.code)
            self._pad = pad
        return self._pad

    def _failed(self, exc: CardError) -> None:
        if isinstance(exc, PinPadUnavailable) and self._pad is not None:
            self._pad.close()
            self._pad = None
        self.last_error = exc.code

    def get_pin(self, timeout_s: int, amount: int, prompt: str, abort: threading.Event | None = None) -> PinBlock:
        with self._lock:
            self.busy = True
            try:
                block = self._use().get_pin(timeout_s, amount, prompt, abort)
            except CardError as exc:
                self._failed(exc)
                raise
            finally:
                self.busy = False
            self.last_error = None
            return block

    def cancel(self, abort: threading.Event | None = None) -> bool:
        """Cancel a PIN entry in progress (any thread; never waits for the port lock).

        With ``abort``, only the entry given that event (see :meth:`PinPad.cancel`).
        """
        pad = self._pad
        if pad is None:  # never opened, or closed after a failure: no entry can be waiting
            if abort is not None:
                abort.set()
            return False
        try:
            return pad.cancel(abort)
        except CardError as exc:
            self.last_error = exc.code
            raise

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


class CardEvents:
    """The reader's events, fanned out: to the listeners first (PIN operations end at once), then
    to the event log, so a client that sees ``removed`` also sees the operation ended."""

    def __init__(self, events: EventLog) -> None:
        self.events = events
        self._listeners: list[Callable[[SessionEvent], None]] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Callable[[SessionEvent], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def __call__(self, event: SessionEvent) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a listener's bug must not stop the reader's worker or the log
                log.exception("agent.card_listener_failed")
        self.events.append(event)


@dataclass
class Devices:
    hub: MonitorHub
    reader: ReaderSession
    events: EventLog
    pinpad: PinPadPort | None = None
    printer: PrintService | None = None
    extra: dict[str, StatusReporting] = field(default_factory=dict)
    card_events: CardEvents | None = None  # subscribe to reader events here

    @classmethod
    def open(cls, settings: AgentSettings) -> Devices:
        printer = PrintService.open(settings) if settings.printer.device else None  # a bad queue folder fails here
        events = EventLog()
        card_events = CardEvents(events)
        hub = MonitorHub()
        reader = ReaderSession(hub, settings.reader, exclusive=settings.exclusive, on_event=card_events)
        hub.start()
        pinpad = PinPadPort(settings.pinpad, settings.pinpad_baud) if settings.pinpad else None
        return cls(hub, reader, events, pinpad, printer.start() if printer else None, card_events=card_events)

    def close(self) -> None:
        for device in (self.printer, *self.extra.values(), self.pinpad):
            if device is not None:
                device.close()
        self.reader.close()
        self.hub.close()
