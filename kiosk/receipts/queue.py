"""A small persistent print queue: one JSON file per job in a folder, written atomically.

The agent enqueues a receipt when the printer fails (the sale stands), prints ``next()`` when the
printer is back, and marks it printed or failed. Jobs keep their order (ids are UUIDv7, time-ordered),
survive restarts and crashes (temp file, fsync, rename, fsync the folder), and several threads or
processes may use one folder (an ``flock`` guards each change). A job file that cannot be read is
moved aside to ``<id>.json.bad`` and logged, so one damaged file never blocks the queue.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from card_reader.logs import log_event
from kiosk.receipts.codec import receipt_from_dict, receipt_to_dict
from kiosk.receipts.errors import QueueError, ReceiptError, UnknownPrintJob
from kiosk.receipts.model import Receipt
from ledger.ids import new_id

log = logging.getLogger("kiosk.receipts.queue")
SUFFIX = ".json"


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PrintJob:
    id: str
    receipt: Receipt
    created_at: datetime
    attempts: int = 0
    last_error: str | None = None  # code of the last PrinterError
    printed_at: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.printed_at is None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "created_at": self.created_at.isoformat(), "attempts": self.attempts,
                "last_error": self.last_error, "printed_at": self.printed_at.isoformat() if self.printed_at else None,
                "receipt": receipt_to_dict(self.receipt)}

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> PrintJob:
        printed = value["printed_at"]
        return cls(str(value["id"]), receipt_from_dict(value["receipt"]), datetime.fromisoformat(value["created_at"]),
                   int(value["attempts"]), value["last_error"], datetime.fromisoformat(printed) if printed else None)


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class PrintQueue:
    def __init__(self, folder: Path | str, clock: Callable[[], datetime] = _utcnow) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise QueueError(folder=str(self.folder), detail=exc.strerror) from None
        self.clock = clock
        self._lock = threading.Lock()

    # ---- public ----------------------------------------------------------------------------

    def enqueue(self, receipt: Receipt) -> PrintJob:
        job = PrintJob(str(new_id()), receipt, self.clock())
        with self._locked():
            self._write(job)
        log_event(log, "print_job_queued", job=job.id, kind=receipt.kind.value, journal=receipt.header.proof.journal_id)
        return job

    def next(self) -> PrintJob | None:
        """The oldest job not printed yet."""
        pending = self.pending()
        return pending[0] if pending else None

    def pending(self) -> list[PrintJob]:
        with self._locked():
            return [job for job in self._jobs() if job.pending]

    def all(self) -> list[PrintJob]:
        with self._locked():
            return list(self._jobs())

    def get(self, job_id: str) -> PrintJob:
        with self._locked():
            return self._read(job_id)

    def mark_printed(self, job_id: str) -> PrintJob:
        with self._locked():
            job = self._read(job_id)
            if not job.pending:
                return job
            job = dataclasses.replace(job, printed_at=self.clock())
            self._write(job)
        log_event(log, "print_job_printed", job=job_id)
        return job

    def mark_failed(self, job_id: str, error: ReceiptError | str) -> PrintJob:
        code = error.code if isinstance(error, ReceiptError) else str(error)
        with self._locked():
            job = self._read(job_id)
            job = dataclasses.replace(job, attempts=job.attempts + 1, last_error=code)
            self._write(job)
        log_event(log, "print_job_failed", logging.WARNING, job=job_id, error=code, attempts=job.attempts)
        return job

    def prune(self, printed_before: datetime) -> int:
        """Delete printed jobs older than ``printed_before``; returns how many."""
        with self._locked():
            old = [j for j in self._jobs() if j.printed_at is not None and j.printed_at < printed_before]
            for job in old:
                self._path(job.id).unlink()
        return len(old)

    # ---- files -----------------------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock, open(self.folder / ".lock", "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _path(self, job_id: str) -> Path:
        if not job_id or "/" in job_id or job_id.startswith("."):
            raise UnknownPrintJob(job=job_id)
        return self.folder / f"{job_id}{SUFFIX}"

    def _write(self, job: PrintJob) -> None:
        data = json.dumps(job.to_dict(), ensure_ascii=False, sort_keys=True).encode("utf-8")
        try:
            _write_atomic(self._path(job.id), data)
        except OSError as exc:
            raise QueueError(job=job.id, detail=exc.strerror) from None

    def _read(self, job_id: str) -> PrintJob:
        path = self._path(job_id)
        if not path.exists():
            raise UnknownPrintJob(job=job_id)
        job = self._load(path)
        if job is None:
            raise UnknownPrintJob(job=job_id, detail="damaged")
        return job

    def _load(self, path: Path) -> PrintJob | None:
        try:
            return PrintJob.from_dict(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError, KeyError, TypeError, ReceiptError) as exc:
            path.replace(path.with_name(path.name + ".bad"))
            log_event(log, "print_job_damaged", logging.ERROR, file=path.name, error=type(exc).__name__)
            return None

    def _jobs(self) -> Iterator[PrintJob]:
        for path in sorted(self.folder.glob(f"*{SUFFIX}")):
            if path.name.startswith("."):
                continue
            job = self._load(path)
            if job is not None:
                yield job
