"""Card insertion and removal through pyscard's CardMonitor, kept alive by a watchdog (DESIGN §7).

pyscard's CardMonitor is a process-wide singleton whose thread ends when pcscd goes away (it
prints a traceback and stops; observers hear nothing). So:

* the observer only puts events on the subscribers' queues, nothing else;
* a watchdog thread asks pcscd for its readers every ``poll_s``; when pcscd does not answer or
  the monitor thread has died, it reports ``reader_lost`` and takes the monitor down; when pcscd
  answers again, it starts a new monitor (whose first notification lists the cards present) and
  reports ``reader_back``;
* taking a monitor down cancels its blocking ``SCardGetStatusChange`` (``SCardCancel``) and
  releases its PC/SC context here, so pyscard's ``__del__`` never raises on a dead context.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import smartcard.CardMonitoring
from smartcard import scard
from smartcard.CardMonitoring import CardMonitor, CardMonitoringThread, CardObserver

from card_reader.logs import log_event
from card_reader.pcsc import pcscd_answers

log = logging.getLogger("card_reader.monitor")


class _TracebackToLog:
    """pyscard's monitor thread calls ``traceback.print_exc()`` when pcscd goes away; this turns
    that stderr dump into one structured warning line (the watchdog handles the cause)."""

    @staticmethod
    def print_exc() -> None:
        exc = sys.exc_info()[1]
        log_event(log, "monitor.error", logging.WARNING, error=type(exc).__name__, detail=str(exc)[:120])


smartcard.CardMonitoring.traceback = _TracebackToLog


@dataclass(frozen=True)
class RawEvent:
    kind: str  # inserted | removed | reader_lost | reader_back
    reader: str | None = None
    atr: bytes = b""


Sink = Callable[[RawEvent], None]


class _Observer(CardObserver):  # type: ignore[misc]
    def __init__(self, hub: MonitorHub) -> None:
        self.hub = hub

    def update(self, observable: Any, handlers: Any) -> None:
        added, removed = handlers
        for card in removed:
            self.hub.publish(RawEvent("removed", str(card.reader), bytes(card.atr)))
        for card in added:
            self.hub.publish(RawEvent("inserted", str(card.reader), bytes(card.atr)))


def _monitor_thread() -> Any:
    return CardMonitoringThread.instance


def _take_down_monitor(observer: _Observer) -> None:
    """Stop pyscard's monitor singleton and forget it, whether its thread lives or not."""
    monitor = CardMonitor.instance
    if monitor is not None:
        try:
            monitor.deleteObserver(observer)
        except ValueError:
            pass
    thread = _monitor_thread()
    if thread is not None:
        thread.stop()
        request = getattr(getattr(thread, "cardrequest", None), "pcsccardrequest", None)
        context = getattr(request, "hcontext", None)
        if context is not None:
            scard.SCardCancel(context)
        thread.join(timeout=5)
        if context is not None and request is not None:
            scard.SCardReleaseContext(context)
            request.hcontext = None
    CardMonitoringThread.instance = None
    CardMonitor.instance = None


class MonitorHub:
    """One per process: fans CardMonitor events out to subscribers (one per reader session)."""

    def __init__(self, poll_s: float = 0.5) -> None:
        self.poll_s = poll_s
        self.up = False
        self.restarts = 0
        self._sinks: list[Sink] = []
        self._observer = _Observer(self)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="card-monitor-watchdog", daemon=True)

    def subscribe(self, sink: Sink) -> None:
        with self._lock:
            self._sinks.append(sink)

    def unsubscribe(self, sink: Sink) -> None:
        with self._lock:
            if sink in self._sinks:
                self._sinks.remove(sink)

    def publish(self, event: RawEvent) -> None:
        with self._lock:
            sinks = list(self._sinks)
        for sink in sinks:
            sink(event)

    def start(self) -> MonitorHub:
        self._check()
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        with self._lock:
            if self.up:
                _take_down_monitor(self._observer)
                self.up = False

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_s):
            self._check()

    def _check(self) -> None:
        answers = pcscd_answers()
        thread = _monitor_thread()
        alive = thread is not None and thread.is_alive()
        if self.up and (not answers or not alive):
            with self._lock:
                _take_down_monitor(self._observer)
                self.up = False
            log_event(log, "pcscd.lost", logging.WARNING, monitor_alive=alive)
            self.publish(RawEvent("reader_lost"))
        if not self.up and answers and not self._stop.is_set():
            with self._lock:
                _take_down_monitor(self._observer)
                self.up = True
                self.restarts += 1
            log_event(log, "pcscd.up", restarts=self.restarts)
            self.publish(RawEvent("reader_back"))
            CardMonitor().addObserver(self._observer)
