"""128-bit time-ordered identifiers: UUID version 7 (RFC 9562 §5.7). Pure; no database sequence.

Layout: 48-bit Unix milliseconds | version 7 | 12-bit ``rand_a`` | variant ``10`` | 62 random bits.
``rand_a`` is used as a sub-millisecond counter (RFC 9562 §6.2, method 3 "replace leftmost random
bits with increased clock precision" in its counter form), so ids made by one process never go
backwards, even when the clock does or when a caller passes an earlier time: then the last
millisecond is reused and the counter advances. Python 3.11 has no ``uuid.uuid7``.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import datetime

_VERSION = 0x7
_VARIANT = 0b10
_lock = threading.Lock()
_last = 0  # the last (milliseconds << 12 | counter) handed out by this process


def new_id(at: datetime | None = None) -> uuid.UUID:
    """A fresh UUIDv7 stamped with ``at`` (zone-aware) or the current time."""
    global _last
    if at is None:
        ms = time.time_ns() // 1_000_000
    else:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("naive datetime: every time must carry its zone")
        ms = int(at.timestamp() * 1000)
    rand = int.from_bytes(os.urandom(9), "big")  # 72 bits from the OS CSPRNG: 10 + 62 used
    with _lock:
        stamp = (ms << 12) | (rand >> 62)  # a random start within the millisecond leaves room to count up
        if stamp <= _last:
            stamp = _last + 1
        _last = stamp
    value = (stamp >> 12) << 80 | _VERSION << 76 | (stamp & 0xFFF) << 64 | _VARIANT << 62 | (rand & ((1 << 62) - 1))
    return uuid.UUID(int=value)


def id_order(value: uuid.UUID) -> int:
    """Sort key for UUIDs: the same order as ``uuid.UUID.__lt__`` (and as PostgreSQL's and
    SQLite's orderings of the stored ids), at C speed."""
    return value.int


def id_time_ms(value: uuid.UUID) -> int:
    """The Unix milliseconds a UUIDv7 carries."""
    if value.version != _VERSION:
        raise ValueError(f"not a UUIDv7: {value}")
    return value.int >> 80
