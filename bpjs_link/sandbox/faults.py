"""Fault injection: deterministic from a seed, plus one-shot faults queued at run time.

Per BPU service call (not the access-token endpoint) the plan yields at most one fault:

* ``drop``             the request is lost: nothing is done, the connection closes unanswered;
* ``error``            a signed ``500xx01`` answer, nothing done;
* ``commit-then-drop`` the request is carried out and committed, then the answer is lost;
* ``bad-signature``    the request is carried out, the answer's signature is corrupted;
* ``latency``          the request waits ``latency_ms`` before it is handled (then handled).

The random draws come from ``random.Random(seed)`` in arrival order, so a single-threaded client
sees the same faults on every run. Queued faults (``POST /_sandbox/faults``) come first.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from bpjs_link.codes import Service
from bpjs_link.sandbox.options import FaultRates


class Fault(StrEnum):
    DROP = "drop"
    ERROR = "error"
    COMMIT_THEN_DROP = "commit-then-drop"
    BAD_SIGNATURE = "bad-signature"
    LATENCY = "latency"


@dataclass(frozen=True)
class Injection:
    fault: Fault | None
    latency_ms: int


class FaultPlan:
    def __init__(self, rates: FaultRates) -> None:
        self._rates = rates
        self._rng = random.Random(rates.seed)
        self._queued: dict[Service, deque[Injection]] = {}
        self._lock = threading.Lock()
        self.fired: dict[str, int] = {}

    def queue(self, service: Service, fault: Fault, count: int, latency_ms: int = 0) -> None:
        with self._lock:
            q = self._queued.setdefault(service, deque())
            q.extend(Injection(fault, latency_ms if fault is Fault.LATENCY else 0) for _ in range(count))

    def clear(self) -> None:
        with self._lock:
            self._queued.clear()

    def next_for(self, service: Service) -> Injection:
        with self._lock:
            q = self._queued.get(service)
            if q:
                chosen = q.popleft()
            else:
                chosen = Injection(self._draw(), 0)
            if chosen.fault is not None:
                self.fired[chosen.fault.value] = self.fired.get(chosen.fault.value, 0) + 1
            return Injection(chosen.fault, chosen.latency_ms + self._rates.latency_ms)

    def _draw(self) -> Fault | None:
        r = self._rates
        if not (r.drop or r.error or r.commit_then_drop):
            return None
        u = self._rng.random()
        for fault, rate in ((Fault.DROP, r.drop), (Fault.ERROR, r.error), (Fault.COMMIT_THEN_DROP, r.commit_then_drop)):
            if u < rate:
                return fault
            u -= rate
        return None
