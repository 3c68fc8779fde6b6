"""The persistent print queue: order, persistence, damage handling, and a state machine against a model."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from kiosk.receipts import PaperOut, UnknownPrintJob, as_copy
from kiosk.receipts.queue import PrintQueue
from tests.kiosk.receipts.samples import CONTRIBUTION, REVERSAL, SALE, SAMPLES, TOPUP


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def test_jobs_keep_order_and_survive_a_restart(tmp_path: Path) -> None:
    queue = PrintQueue(tmp_path, Clock())
    jobs = [queue.enqueue(r) for r in (SALE, TOPUP, REVERSAL)]
    again = PrintQueue(tmp_path)  # a new process on the same folder
    assert [j.id for j in again.pending()] == [j.id for j in jobs]
    assert [j.receipt for j in again.pending()] == [SALE, TOPUP, REVERSAL]
    assert again.next() == jobs[0]


def test_mark_failed_counts_attempts_and_mark_printed_removes_from_pending(tmp_path: Path) -> None:
    queue = PrintQueue(tmp_path, Clock())
    job = queue.enqueue(CONTRIBUTION)
    assert queue.mark_failed(job.id, PaperOut()).attempts == 1
    failed = queue.mark_failed(job.id, "printer_offline")
    assert (failed.attempts, failed.last_error) == (2, "printer_offline")
    printed = queue.mark_printed(job.id)
    assert printed.printed_at is not None and queue.pending() == [] and queue.next() is None
    assert queue.mark_printed(job.id) == printed  # twice is harmless
    assert queue.all() == [printed]


def test_unknown_and_malicious_job_ids_are_refused(tmp_path: Path) -> None:
    queue = PrintQueue(tmp_path)
    for bad in ("nope", "../etc/passwd", "", ".lock"):
        with pytest.raises(UnknownPrintJob) as caught:
            queue.mark_printed(bad)
        assert caught.value.message_id == "Tugas cetak tidak ditemukan."


def test_a_damaged_file_is_set_aside_and_the_rest_still_prints(tmp_path: Path) -> None:
    queue = PrintQueue(tmp_path)
    first, second = queue.enqueue(SALE), queue.enqueue(TOPUP)
    (tmp_path / f"{first.id}.json").write_text('{"id": "half a file')
    assert [j.id for j in queue.pending()] == [second.id]
    assert (tmp_path / f"{first.id}.json.bad").exists()
    with pytest.raises(UnknownPrintJob):
        queue.get(first.id)


def test_prune_removes_only_old_printed_jobs(tmp_path: Path) -> None:
    clock = Clock()
    queue = PrintQueue(tmp_path, clock)
    old, waiting = queue.enqueue(SALE), queue.enqueue(TOPUP)
    queue.mark_printed(old.id)
    assert queue.prune(clock.now + timedelta(seconds=1)) == 1
    assert [j.id for j in queue.all()] == [waiting.id]


def test_leftover_temp_files_from_a_crash_are_ignored(tmp_path: Path) -> None:
    queue = PrintQueue(tmp_path)
    job = queue.enqueue(SALE)
    (tmp_path / f".{job.id}.json.x1.tmp").write_text("{")
    assert [j.id for j in PrintQueue(tmp_path).pending()] == [job.id]


receipts = st.sampled_from([*SAMPLES.values(), as_copy(TOPUP)])


class QueueMachine(RuleBasedStateMachine):
    """The queue on disk against a list: pending order, attempts and printed state always agree."""

    jobs = Bundle("jobs")

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="print-queue-"))
        self.queue = PrintQueue(self.folder, Clock())
        self.model: dict[str, dict[str, object]] = {}
        self.order: list[str] = []

    @rule(target=jobs, receipt=receipts)
    def enqueue(self, receipt: object) -> str:
        job = self.queue.enqueue(receipt)  # type: ignore[arg-type]
        self.model[job.id] = {"receipt": receipt, "attempts": 0, "printed": False}
        self.order.append(job.id)
        return job.id

    @rule(job_id=jobs)
    def fail(self, job_id: str) -> None:
        job = self.queue.mark_failed(job_id, "printer_offline")
        self.model[job_id]["attempts"] = int(self.model[job_id]["attempts"]) + 1  # type: ignore[call-overload]
        assert job.attempts == self.model[job_id]["attempts"]

    @rule(job_id=consumes(jobs))
    def printed(self, job_id: str) -> None:
        assert not self.queue.mark_printed(job_id).pending
        self.model[job_id]["printed"] = True

    @rule()
    def restart(self) -> None:
        self.queue = PrintQueue(self.folder, Clock())

    @rule()
    def next_is_the_oldest_pending(self) -> None:
        expected = next((i for i in self.order if not self.model[i]["printed"]), None)
        job = self.queue.next()
        assert (job.id if job else None) == expected

    @invariant()
    def agrees_with_the_model(self) -> None:
        pending = self.queue.pending()
        assert [j.id for j in pending] == [i for i in self.order if not self.model[i]["printed"]]
        for job in pending:
            want = self.model[job.id]
            assert job.receipt == want["receipt"] and job.attempts == want["attempts"]
            assert job.last_error == ("printer_offline" if job.attempts else None)

    def teardown(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


QueueMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestQueueMachine = QueueMachine.TestCase
