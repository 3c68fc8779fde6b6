"""Card events with a cursor, for long-polling clients: ``after(cursor, wait)`` returns the events
newer than the cursor, waiting up to ``wait`` seconds for the first one."""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass
from typing import Any

from card_reader.session import SessionEvent

KEEP = 500


@dataclass(frozen=True)
class NumberedEvent:
    seq: int
    event: SessionEvent

    def to_json(self) -> dict[str, Any]:
        e = self.event
        return {"seq": self.seq, "kind": e.kind.value, "reader": e.reader, "insertion": e.insertion,
                "at": e.at.isoformat(), "atr": e.atr}


class EventLog:
    def __init__(self, keep: int = KEEP) -> None:
        self._events: collections.deque[NumberedEvent] = collections.deque(maxlen=keep)
        self._seq = 0
        self._cond = threading.Condition()

    @property
    def cursor(self) -> int:
        with self._cond:
            return self._seq

    def append(self, event: SessionEvent) -> None:
        with self._cond:
            self._seq += 1
            self._events.append(NumberedEvent(self._seq, event))
            self._cond.notify_all()

    def after(self, cursor: int, wait: float = 0.0) -> tuple[list[NumberedEvent], int]:
        with self._cond:
            if self._seq <= cursor and wait > 0:
                self._cond.wait_for(lambda: self._seq > cursor, timeout=wait)
            return [e for e in self._events if e.seq > cursor], self._seq
