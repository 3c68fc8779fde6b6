"""The agent's receipt printing (DESIGN §3, §7; docs/receipts.md "The agent prints").

``submit(key, receipt)``: the receipt goes into the persistent :class:`PrintQueue` first, then is
printed at once if the printer takes it; a :class:`PrinterError` leaves it queued (the sale stands)
and the answer says why. A background thread asks the printer every ``retry_s`` while something is
queued and prints the queue oldest first once it can. The idempotency key is remembered
(:class:`KeyIndex`): a replay answers with the job's state and never prints again; the same key
with another receipt is a :class:`PrintKeyConflict`. ``reprint(key)`` queues the same receipt marked
"SALINAN / COPY" under a key of its own. Printed jobs and their keys are forgotten after
``keep_days``.

One lock orders every change of a job and every receipt sent, so a job prints at most once
(a failure that may come after the whole receipt reached the printer, e.g. the line lost while
asking the status after the cut, counts as not printed: at worst a second copy, never none).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from card_reader.logs import log_event
from kiosk.agent.config import AgentSettings
from kiosk.agent.errors import PrintKeyConflict
from kiosk.agent.print_keys import KeyIndex, KeyRecord, receipt_digest
from kiosk.agent.print_types import PrintState, check_key, operator_message
from kiosk.receipts.errors import PrinterError, UnknownPrintJob
from kiosk.receipts.model import Receipt, as_copy
from kiosk.receipts.printer import PrintResult, ReceiptPrinter
from kiosk.receipts.queue import PrintJob, PrintQueue
from kiosk.receipts.render import render_lines
from kiosk.receipts.status import PrinterStatus

log = logging.getLogger("kiosk.agent.print")
PRUNE_EVERY_S = 3600.0


class PrinterPort(Protocol):
    """What the service needs of a printer: :class:`~kiosk.receipts.printer.ReceiptPrinter` (tests
    may pass a fake with the same methods; the real one is tested against the emulator)."""

    width: int  # characters per line: a receipt that cannot be laid out at it is refused up front

    def print_receipt(self, receipt: Receipt) -> PrintResult: ...

    def status(self) -> PrinterStatus: ...

    def status_dict(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class PrintView:
    """One print job as the API shows it."""

    key: str | None
    job: PrintJob
    reason: dict[str, Any] | None = None  # the last PrinterError, while the job is queued
    replayed: bool = False
    paper_near_end: bool = False
    copy_of: str | None = None

    @property
    def state(self) -> PrintState:
        return PrintState.QUEUED if self.job.pending else PrintState.PRINTED

    def to_json(self) -> dict[str, Any]:
        job, header = self.job, self.job.receipt.header
        reason = self.reason if self.state is PrintState.QUEUED else None
        message_id, message_en = operator_message(self.state, reason, self.paper_near_end)
        return {"key": self.key, "job": job.id, "state": self.state.value, "kind": job.receipt.kind.value,
                "journal_id": str(header.proof.journal_id), "copy": header.copy, "copy_of": self.copy_of,
                "attempts": job.attempts, "created_at": _iso(job.created_at), "printed_at": _iso(job.printed_at),
                "reason": reason, "message_id": message_id, "message_en": message_en, "replayed": self.replayed,
                "paper_near_end": self.paper_near_end}


def _reason_from_code(code: str | None) -> dict[str, Any] | None:
    """The operator's reason for a job queued before this agent started (only its code was kept)."""
    if code is None:
        return None
    return PrinterError(f"Percobaan terakhir gagal ({code}).", f"The last attempt failed ({code}).",
                        last_error=code).to_dict()


class PrintService:
    def __init__(self, printer: PrinterPort, queue: PrintQueue, keys: KeyIndex, *, retry_s: float = 2.0,
                 keep_days: int = 30, clock: Callable[[], datetime] = _utcnow) -> None:
        self.printer, self.queue, self.keys = printer, queue, keys
        self.retry_s, self.keep = retry_s, timedelta(days=keep_days)
        self.clock = clock
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reasons: dict[str, dict[str, Any]] = {}
        jobs = self.queue.all()
        self._pending = {job.id for job in jobs if job.pending}
        self._orphans = keys.orphans({job.id: receipt_digest(job.receipt) for job in jobs})
        self._last_prune = 0.0

    @classmethod
    def open(cls, settings: AgentSettings) -> PrintService:
        p = settings.printer
        printer = ReceiptPrinter(p.device, baudrate=p.baudrate, width=p.width, write_timeout_s=p.write_timeout_s)
        queue = PrintQueue(p.queue_dir)
        return cls(printer, queue, KeyIndex(queue.folder / "keys"), retry_s=settings.print_retry_s,
                   keep_days=settings.print_keep_days)

    # ---- the API's operations ----------------------------------------------------------------

    def submit(self, key: str, receipt: Receipt, copy_of: str | None = None) -> PrintView:
        check_key(key)
        digest = receipt_digest(receipt)
        render_lines(receipt, self.printer.width)  # InvalidReceipt now, never a job that cannot print
        with self._lock:
            record = self.keys.get(key)
            if record is not None and record.receipt_sha256 != digest:
                raise PrintKeyConflict(key=key)
            if record is not None and record.job is not None:
                log_event(log, "print_replayed", key=key, job=record.job)
                return self._view(record, replayed=True)
            crashed = record is not None  # a record without a job: that submit died before naming it
            if record is None:
                record = self.keys.put(KeyRecord(key, digest, self.clock(), copy_of=copy_of))
            job = (self._adopt(digest) if crashed else None) or self.queue.enqueue(receipt)
            record = self.keys.put(record.replace(job=job.id))
            if job.pending:
                self._pending.add(job.id)
            log_event(log, "print_submitted", key=key, job=job.id, kind=receipt.kind.value, copy=receipt.header.copy)
            near_end = self._print(job.id)
            return self._view(self.keys.get(key) or record, paper_near_end=near_end)

    def reprint(self, key: str, new_key: str | None = None) -> PrintView:
        """Print the receipt of ``key`` again, marked "SALINAN / COPY", under ``new_key``."""
        check_key(key)
        with self._lock:
            original = self._record(key)
            job = self.queue.get(original.job or "")
            return self.submit(new_key or f"copy-{uuid.uuid4().hex}", as_copy(job.receipt), copy_of=key)

    def view(self, key: str) -> PrintView:
        """Reads take no lock (files are replaced atomically): a status page never waits for a print."""
        check_key(key)
        return self._view(self._record(key))

    def pending(self) -> list[PrintView]:
        views = []
        for job_id in sorted(self._pending.copy()):
            key = self.keys.key_of_job(job_id)
            record = self.keys.get(key) if key else None
            if record is not None:
                views.append(self._view(record))
            else:  # queued by a request that crashed before its key record named it
                job = self.queue.get(job_id)
                views.append(PrintView(None, job, self._reason(job)))
        return views

    @property
    def queued(self) -> int:
        return len(self._pending)

    def status_dict(self) -> dict[str, Any]:
        return {**self.printer.status_dict(), "queued": self.queued, "retry_s": self.retry_s}

    # ---- printing ----------------------------------------------------------------------------

    def _print(self, job_id: str) -> bool:
        """Print one pending job (caller holds the lock); returns "paper near end". Failures keep it queued."""
        job = self.queue.get(job_id)
        if not job.pending:
            self._pending.discard(job_id)
            return False
        try:
            result = self.printer.print_receipt(job.receipt)
        except PrinterError as exc:
            self.queue.mark_failed(job_id, exc)
            self._reasons[job_id] = exc.to_dict()
            return False
        printed = self.queue.mark_printed(job_id)
        self._pending.discard(job_id)
        self._reasons.pop(job_id, None)
        key = self.keys.key_of_job(job_id)
        record = self.keys.get(key) if key else None
        if record is not None:
            self.keys.put(record.replace(printed_at=printed.printed_at))
        return result.paper_near_end

    def retry_now(self) -> int:
        """Print the queue, oldest first, while the printer can print; returns how many printed."""
        printed = 0
        while self._pending and not self._stop.is_set():
            if not self.printer.status().can_print:
                break
            with self._lock:
                if not self._pending:
                    break
                job_id = min(self._pending)  # UUIDv7 text sorts by time
                self._print(job_id)
                if job_id in self._pending:
                    break
            printed += 1
        if printed:
            log_event(log, "print_queue_drained", printed=printed, left=self.queued)
        return printed

    def prune(self) -> int:
        """Forget printed jobs and their keys older than ``keep_days``; returns how many jobs."""
        cutoff = self.clock() - self.keep
        with self._lock:
            for record in self.keys.records():
                if (record.printed_at or record.created_at) < cutoff and record.job not in self._pending:
                    self.keys.remove(record.key)
            return self.queue.prune(cutoff)

    # ---- background ----------------------------------------------------------------------------

    def start(self) -> PrintService:
        self._thread = threading.Thread(target=self._run, name="print-retry", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.retry_s):
            try:
                self.retry_now()
                if time.monotonic() - self._last_prune > PRUNE_EVERY_S:
                    self._last_prune = time.monotonic()
                    self.prune()
            except Exception:  # the loop must outlive any one bad moment; it is logged
                log.exception("print_retry_failed")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.printer.close()

    # ---- helpers -------------------------------------------------------------------------------

    def _record(self, key: str) -> KeyRecord:
        record = self.keys.get(key)
        if record is None or record.job is None:
            raise UnknownPrintJob(key=key)
        return record

    def _adopt(self, digest: str) -> PrintJob | None:
        """A job queued for this receipt by a request whose key record never got its job id (crash)."""
        candidates = self._orphans.get(digest)
        if not candidates:
            return None
        job = self.queue.get(candidates.pop(0))
        log_event(log, "print_job_adopted", job=job.id)
        return job

    def _reason(self, job: PrintJob) -> dict[str, Any] | None:
        if not job.pending:
            return None
        return self._reasons.get(job.id) or _reason_from_code(job.last_error)

    def _view(self, record: KeyRecord, *, replayed: bool = False, paper_near_end: bool = False) -> PrintView:
        job = self.queue.get(record.job or "")
        return PrintView(record.key, job, self._reason(job), replayed, paper_near_end, record.copy_of)
