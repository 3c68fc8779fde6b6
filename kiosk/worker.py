"""``kiosk worker``: the background process, one per database (DESIGN §3).

It runs jobs, each on its own period: resolving PENDING journals with BPJS, sealing the audit log,
writing checkpoints, expiring local-only pending journals. Each job owns its transactions; a job
that fails is logged and retried on its next period, never taking the others down.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import FrameType
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from kiosk.singleton import SingletonLock

log = logging.getLogger("kiosk.worker")


@dataclass(frozen=True)
class JobContext:
    sessions: sessionmaker[Session]
    now: Callable[[], datetime]
    services: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Job:
    """``run`` does one bounded batch of work and returns how many items it handled."""

    name: str
    every_seconds: float
    run: Callable[[JobContext], int]


class WorkerAlreadyRunning(Exception):
    def __init__(self) -> None:
        super().__init__("another worker holds this database's worker lock / worker lain sudah berjalan")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Worker:
    def __init__(self, lock: SingletonLock, jobs: Sequence[Job], context: JobContext) -> None:
        self._lock = lock
        self._jobs = list(jobs)
        self._ctx = context
        self._stop = threading.Event()
        self._due = {job.name: 0.0 for job in self._jobs}
        self.runs: dict[str, int] = {job.name: 0 for job in self._jobs}

    def stop(self) -> None:
        self._stop.set()

    def run_once(self) -> dict[str, int]:
        """Run every job once now (``kiosk worker --once``, tests)."""
        return {job.name: self._run_job(job) for job in self._jobs}

    def _run_job(self, job: Job) -> int:
        try:
            handled = job.run(self._ctx)
        except Exception:  # a failing job must not stop the others; it is retried next period
            log.exception("event=job_failed job=%s", job.name)
            return 0
        self.runs[job.name] += 1
        if handled:
            log.info("event=job_done job=%s handled=%d", job.name, handled)
        return handled

    def serve(self) -> None:
        """Run until stopped. Refuses to start when another worker holds the lock."""
        if not self._lock.acquire():
            raise WorkerAlreadyRunning()
        log.info("event=worker_started jobs=%s", ",".join(j.name for j in self._jobs))
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                for job in self._jobs:
                    if now >= self._due[job.name]:
                        handled = self._run_job(job)
                        # work left over: go again soon; otherwise wait the full period
                        self._due[job.name] = time.monotonic() + (0.05 if handled else job.every_seconds)
                next_due = min(self._due.values(), default=time.monotonic() + 1.0)
                self._stop.wait(max(0.01, min(1.0, next_due - time.monotonic())))
        finally:
            self._lock.release()
            log.info("event=worker_stopped")

    def install_signal_handlers(self) -> None:
        def _handler(signum: int, _frame: FrameType | None) -> None:
            log.info("event=worker_signal signal=%d", signum)
            self.stop()

        signal.signal(signal.SIGTERM, _handler)
        signal.signal(signal.SIGINT, _handler)
