"""In-process wake-ups for long-polling clients: the runner bumps after every step, so a
``GET /api/v1/checkouts/<id>?after=`` in the same process answers at once instead of on its next
database poll (which still catches changes made by other processes: the worker, other web workers)."""

from __future__ import annotations

import threading

_cond = threading.Condition()
_generation = 0


def bump() -> None:
    global _generation
    with _cond:
        _generation += 1
        _cond.notify_all()


def generation() -> int:
    with _cond:
        return _generation


def wait(seen: int, timeout: float) -> int:
    """Until the generation moves past ``seen`` or ``timeout`` passes; returns the generation."""
    with _cond:
        _cond.wait_for(lambda: _generation != seen, timeout)
        return _generation
