"""The print API's idempotency keys, kept in files next to the print queue (``<queue>/keys/``).

One small JSON file per key (named by the key's SHA-256, written atomically): the key, the
SHA-256 of the receipt's canonical JSON, the print job it made, when it printed, and for a
reprint the key it copies. The record is written *before* the job is queued and again after, so
a crash between the two leaves a record without a job; the job, if it was queued, is found again
by its receipt digest (:meth:`KeyIndex.orphans`) and never printed a second time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from card_reader.logs import log_event
from firmware_stubs.files import write_atomic
from kiosk.receipts.codec import receipt_to_dict
from kiosk.receipts.errors import QueueError
from kiosk.receipts.model import Receipt

log = logging.getLogger("kiosk.agent.print")


def receipt_digest(receipt: Receipt) -> str:
    """SHA-256 (hex) of the receipt's canonical JSON: same receipt, same digest."""
    text = json.dumps(receipt_to_dict(receipt), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


@dataclass(frozen=True)
class KeyRecord:
    key: str
    receipt_sha256: str
    created_at: datetime
    job: str | None = None
    printed_at: datetime | None = None
    copy_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "receipt_sha256": self.receipt_sha256, "created_at": self.created_at.isoformat(),
                "job": self.job, "printed_at": self.printed_at.isoformat() if self.printed_at else None,
                "copy_of": self.copy_of}

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> KeyRecord:
        created = _time(value["created_at"])
        if not isinstance(value["key"], str) or created is None:
            raise ValueError("key record without key or time")
        return cls(value["key"], str(value["receipt_sha256"]), created, value.get("job"), _time(value.get("printed_at")),
                   value.get("copy_of"))

    def replace(self, **changes: Any) -> KeyRecord:
        return dataclasses.replace(self, **changes)


class KeyIndex:
    """Key records in memory, each change written through to its file (callers hold their own lock)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise QueueError(folder=str(self.folder), detail=exc.strerror) from None
        self._records: dict[str, KeyRecord] = {}
        self._by_job: dict[str, str] = {}
        self._lock = threading.Lock()
        for path in sorted(self.folder.glob("*.json")):
            record = self._load(path)
            if record is not None:
                self._remember(record)

    def _path(self, key: str) -> Path:
        return self.folder / f"{hashlib.sha256(key.encode('utf-8')).hexdigest()}.json"

    def _load(self, path: Path) -> KeyRecord | None:
        try:
            return KeyRecord.from_dict(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            path.replace(path.with_name(path.name + ".bad"))
            log_event(log, "print_key_damaged", logging.ERROR, file=path.name, error=type(exc).__name__)
            return None

    def _remember(self, record: KeyRecord) -> None:
        self._records[record.key] = record
        if record.job is not None:
            self._by_job[record.job] = record.key

    def get(self, key: str) -> KeyRecord | None:
        with self._lock:
            return self._records.get(key)

    def key_of_job(self, job_id: str) -> str | None:
        with self._lock:
            return self._by_job.get(job_id)

    def records(self) -> list[KeyRecord]:
        with self._lock:
            return list(self._records.values())

    def put(self, record: KeyRecord) -> KeyRecord:
        data = json.dumps(record.to_dict(), sort_keys=True).encode("utf-8")
        try:
            write_atomic(self._path(record.key), data)
        except OSError as exc:
            raise QueueError(key=record.key, detail=exc.strerror) from None
        with self._lock:
            self._remember(record)
        return record

    def remove(self, key: str) -> None:
        with self._lock:
            record = self._records.pop(key, None)
            if record is not None and record.job is not None:
                self._by_job.pop(record.job, None)
        self._path(key).unlink(missing_ok=True)

    def orphans(self, jobs: dict[str, str]) -> dict[str, list[str]]:
        """Of ``jobs`` (job id -> receipt digest), those no key names, by digest, oldest first."""
        found: dict[str, list[str]] = {}
        with self._lock:
            for job_id in sorted(jobs):
                if job_id not in self._by_job:
                    found.setdefault(jobs[job_id], []).append(job_id)
        return found
