"""One reader, one worker thread: every APDU to the card goes through :class:`ReaderSession`.

Monitor events (from :class:`~card_reader.monitor.MonitorHub`) and callers' jobs share one queue,
so the worker sees insertions, removals, pcscd going away and coming back, and card commands in
the order they happened. The worker owns the PC/SC connection: callers never touch it.

An *insertion* number names each card insertion: a PIN transaction names the insertion it belongs
to, and fails with CardRemoved when the card was pulled (or swapped) since.
"""

from __future__ import annotations

import enum
import itertools
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar, cast

from card_reader.card import EKartuTani
from card_reader.errors import CardError, CardRemoved, NoCard, ReaderUnavailable
from card_reader.logs import log_event
from card_reader.monitor import MonitorHub, RawEvent
from card_reader.pcsc import PcscLink, list_readers
from card_reader.pin import PinBlock
from card_reader.protocol.card import AuthMode
from card_reader.transport import Transport
from card_reader.verify import AuthAnswer, CardRead

log = logging.getLogger("card_reader.session")
T = TypeVar("T")
_insertions = itertools.count(1)
_STOP = object()


class EventKind(enum.StrEnum):
    INSERTED = "inserted"
    REMOVED = "removed"
    READER_LOST = "reader_lost"
    READER_BACK = "reader_back"


@dataclass(frozen=True)
class SessionEvent:
    kind: EventKind
    reader: str | None
    insertion: int | None
    at: datetime
    atr: str = ""


@dataclass(frozen=True)
class ReaderStatus:
    reader: str | None
    pcscd_up: bool
    card_present: bool
    insertion: int | None
    atr: str


def resolve_reader(spec: str | int, names: list[str]) -> str | None:
    """A reader by exact name, or by its index in pcscd's list."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        index = int(spec)
        return names[index] if 0 <= index < len(names) else None
    return spec if spec in names else None


class ReaderSession:
    def __init__(self, hub: MonitorHub, reader: str | int = 0, *, exclusive: bool = True,
                 on_event: Callable[[SessionEvent], None] | None = None, job_timeout_s: float = 10.0) -> None:
        self.spec = reader
        self.exclusive = exclusive
        self.on_event = on_event
        self.job_timeout_s = job_timeout_s
        self.reader: str | None = None
        self.pcscd_up = False
        self.insertion: int | None = None
        self.atr = ""
        self._link: PcscLink | None = None
        self._card: EKartuTani | None = None
        self._fresh = False
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name=f"reader-{reader}", daemon=True)
        self._hub = hub
        hub.subscribe(self._queue.put)
        self._thread.start()

    # ---- public API (any thread) ------------------------------------------------------------

    def status(self) -> ReaderStatus:
        return ReaderStatus(self.reader, self.pcscd_up, self.insertion is not None, self.insertion, self.atr)

    def read_card(self, challenge: bytes) -> CardRead:
        """SELECT, READ RECORD 1-3 and a card-check INTERNAL AUTHENTICATE over ``challenge``."""
        return self.submit(lambda: self._read_card(challenge))

    def sign_transaction(self, insertion: int, pin: PinBlock, challenge: bytes) -> AuthAnswer:
        """VERIFY the PIN block, then INTERNAL AUTHENTICATE in transaction mode over ``challenge``."""
        return self.submit(lambda: self._sign_transaction(insertion, pin, challenge))

    def pin_tries_left(self, insertion: int | None = None) -> int:
        return self.submit(lambda: self._with_card(insertion).pin_tries_left())

    def submit(self, job: Callable[[], T]) -> T:
        future: Future[T] = Future()
        self._queue.put((job, future))
        try:
            return future.result(timeout=self.job_timeout_s)
        except FutureTimeout:
            raise ReaderUnavailable(detail="reader did not answer in time") from None

    def close(self) -> None:
        self._hub.unsubscribe(self._queue.put)
        self._queue.put(_STOP)
        self._thread.join(timeout=5)
        self._drop_link()

    # ---- worker thread ----------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            if isinstance(item, RawEvent):
                self._on_raw(item)
                continue
            job, future = cast(tuple[Callable[[], object], Future[object]], item)
            if future.set_running_or_notify_cancel():
                self._run(job, future)

    def _run(self, job: Callable[[], object], future: Future[object]) -> None:
        try:
            future.set_result(job())
        except CardError as exc:
            if isinstance(exc, (CardRemoved, ReaderUnavailable, NoCard)):
                self._drop_link()
            future.set_exception(exc)
        except Exception as exc:  # a bug or an unexpected pyscard failure: never kill the worker
            log.exception("reader.job_failed")
            self._drop_link()
            future.set_exception(CardError(detail=type(exc).__name__))

    def _emit(self, kind: EventKind, insertion: int | None = None) -> None:
        event = SessionEvent(kind, self.reader, insertion, datetime.now(UTC), self.atr)
        log_event(log, f"reader.{kind.value}", reader=self.reader, insertion=insertion)
        if self.on_event is not None:
            self.on_event(event)

    def _on_raw(self, event: RawEvent) -> None:
        if event.kind == "reader_lost":
            self.pcscd_up = False
            self._drop_link()
            if self.insertion is not None:
                self._emit(EventKind.REMOVED, self.insertion)
            self.insertion, self.atr = None, ""
            self._emit(EventKind.READER_LOST)
        elif event.kind == "reader_back":
            self.pcscd_up = True
            try:
                self.reader = resolve_reader(self.spec, list_readers())
            except CardError:
                self.reader = None
            self._emit(EventKind.READER_BACK)
        elif event.reader is not None and event.reader == self.reader:
            self._on_card(event)

    def _on_card(self, event: RawEvent) -> None:
        if event.kind == "removed" and self.insertion is not None:
            self._drop_link()
            removed, self.insertion, self.atr = self.insertion, None, ""
            self._emit(EventKind.REMOVED, removed)
        elif event.kind == "inserted":
            self._drop_link()
            if self.insertion is not None:
                self._emit(EventKind.REMOVED, self.insertion)
            self.insertion, self.atr = next(_insertions), event.atr.hex().upper()
            self._emit(EventKind.INSERTED, self.insertion)

    def _drop_link(self) -> None:
        link, self._link, self._card = self._link, None, None
        if link is not None:
            link.close()

    def _with_card(self, insertion: int | None) -> EKartuTani:
        if not self.pcscd_up or self.reader is None:
            raise ReaderUnavailable(reader=str(self.spec))
        if insertion is not None and insertion != self.insertion:
            raise CardRemoved(insertion=insertion)
        if self.insertion is None:
            raise NoCard()
        if self._card is None:
            self._link = PcscLink(self.reader, self.exclusive)
            self._card = EKartuTani(Transport(self._link))
            self._fresh = True
        return self._card

    def _read_card(self, challenge: bytes) -> CardRead:
        insertion = self.insertion
        card = self._with_card(None)
        card.select()
        self._fresh = False
        records = card.read_records()
        answer = card.authenticate(AuthMode.CARD_CHECK, challenge)
        return CardRead(insertion or 0, records, answer)

    def _sign_transaction(self, insertion: int, pin: PinBlock, challenge: bytes) -> AuthAnswer:
        card = self._with_card(insertion)
        if self._fresh:  # a new connection is a new card session: select the application again
            card.select()
            self._fresh = False
        card.verify_pin(pin)
        return card.authenticate(AuthMode.TRANSACTION, challenge)
