"""UUIDv7 journal and entry ids (RFC 9562 §5.7): time-ordered, monotonic per process, no sequence."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from ledger.ids import id_time_ms, new_id


def test_layout_and_time() -> None:
    at = datetime(2026, 12, 4, 2, 0, 0, 123000, tzinfo=UTC)
    value = new_id(at)
    assert value.version == 7 and value.variant == uuid.RFC_4122
    assert id_time_ms(value) >= int(at.timestamp() * 1000)  # never behind the time it was asked for


def test_monotonic_even_within_a_millisecond_and_when_time_steps_back() -> None:
    at = datetime.now(UTC) + timedelta(milliseconds=5)  # same millisecond for all 5000
    ids = [new_id(at) for _ in range(5000)]
    earlier = new_id(at - timedelta(days=1))
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert earlier > ids[-1]  # the clock stepped back: the id still moves forward


def test_threads_never_share_an_id() -> None:
    out: list[uuid.UUID] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [new_id() for _ in range(2000)]
        with lock:
            out.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(out)) == 8000


def test_naive_time_refused() -> None:
    with pytest.raises(ValueError):
        new_id(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        id_time_ms(uuid.uuid4())
