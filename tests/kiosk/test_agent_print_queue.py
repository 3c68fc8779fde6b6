"""The agent's print service against a tiny model (Hypothesis state machine): a key prints at most
once, through printer faults, service restarts and crashes in the middle of a submit; once the
printer is back every queued receipt prints. The printer here is a fake with ReceiptPrinter's
methods; the real driver and emulator are in test_agent_print.py."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kiosk.agent.errors import AgentRefused, PrintKeyConflict
from kiosk.agent.print_keys import KeyIndex, KeyRecord, receipt_digest
from kiosk.agent.printing import PrintService
from kiosk.receipts import (
    Link,
    Paper,
    PrinterOffline,
    PrinterStatus,
    Receipt,
    UnknownPrintJob,
    as_copy,
)
from kiosk.receipts.printer import PrintResult
from kiosk.receipts.queue import PrintQueue
from kiosk.receipts.status import check_before
from tests.kiosk.receipts.samples import SALE, TOPUP


class FakePrinter:
    """ReceiptPrinter's methods over a list; ``mode``: ok, down (no answer), paper_out, cut_mid (line lost)."""

    width = 42

    def __init__(self) -> None:
        self.mode = "ok"
        self.printed: list[Receipt] = []

    def status(self) -> PrinterStatus:
        if self.mode == "down":
            return PrinterStatus(Link.NO_ANSWER)
        out = self.mode == "paper_out"
        return PrinterStatus(Link.READY, online=not out, paper=Paper.OUT if out else Paper.OK)

    def print_receipt(self, receipt: Receipt) -> PrintResult:
        status = self.status()
        check_before(status)
        if self.mode == "cut_mid":
            raise PrinterOffline("link_lost")
        self.printed.append(receipt)
        return PrintResult(1, (), status, 0.1)

    def status_dict(self) -> dict[str, Any]:
        return self.status().to_dict()

    def close(self) -> None:
        pass


def open_service(folder: Path, printer: FakePrinter) -> PrintService:
    queue = PrintQueue(folder)
    return PrintService(printer, queue, KeyIndex(folder / "keys"), retry_s=3600)


KEYS = st.sampled_from(["sale:1", "sale:2", "topup:1", "late"])  # "late": the key of crash_in_submit
RECEIPTS = st.sampled_from([SALE, TOPUP])


class PrintMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="print-machine-"))
        self.printer = FakePrinter()
        self.service = open_service(self.folder, self.printer)
        self.model: dict[str, tuple[Receipt, bool]] = {}  # key -> (receipt, a job was queued for it)
        self.answered: set[str] = set()  # keys whose submit returned (a replay says so)
        self.copies = 0

    def teardown(self) -> None:
        self.service.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @rule(key=KEYS, receipt=RECEIPTS)
    def submit(self, key: str, receipt: Receipt) -> None:
        known = self.model.get(key)
        if known is not None and receipt_digest(known[0]) != receipt_digest(receipt):
            with pytest.raises(PrintKeyConflict):
                self.service.submit(key, receipt)
            return
        view = self.service.submit(key, receipt)
        assert view.replayed == (key in self.answered)
        self.model[key] = (receipt, True)
        self.answered.add(key)
        assert view.job.receipt == receipt

    @rule(key=KEYS)
    def reprint(self, key: str) -> None:
        known = self.model.get(key)
        if known is None or key not in self.answered:
            with pytest.raises(UnknownPrintJob):
                self.service.reprint(key)
            return
        self.copies += 1
        new_key = f"copy-{self.copies}"
        view = self.service.reprint(key, new_key)
        assert view.job.receipt.header.copy and view.copy_of == key
        self.model[new_key] = (as_copy(known[0]), True)
        self.answered.add(new_key)

    @rule(mode=st.sampled_from(["ok", "down", "paper_out", "cut_mid"]))
    def printer_changes(self, mode: str) -> None:
        self.printer.mode = mode

    @rule()
    def retry(self) -> None:
        self.service.retry_now()

    @rule()
    def restart(self) -> None:
        self.service.close()
        self.service = open_service(self.folder, self.printer)

    @precondition(lambda self: "late" not in self.model)
    @rule(receipt=RECEIPTS, queued=st.booleans())
    def crash_in_submit(self, receipt: Receipt, queued: bool) -> None:
        """The agent died after writing the key record, before (or after) queueing the job."""
        self.service.close()
        queue = PrintQueue(self.folder)
        KeyIndex(self.folder / "keys").put(KeyRecord("late", receipt_digest(receipt), datetime.now(UTC)))
        if queued:
            queue.enqueue(receipt)
        self.model["late"] = (receipt, queued)
        self.service = open_service(self.folder, self.printer)

    @rule()
    def bad_key(self) -> None:
        with pytest.raises(AgentRefused):
            self.service.submit("no spaces allowed", SALE)

    @invariant()
    def never_printed_twice(self) -> None:
        printed = Counter(receipt_digest(r) for r in self.printer.printed)
        allowed = Counter(receipt_digest(r) for r, queued in self.model.values() if queued)
        assert all(printed[d] <= allowed[d] for d in printed), (printed, allowed)

    @invariant()
    def all_printed_once_the_printer_is_back(self) -> None:
        if self.printer.mode != "ok":
            return
        self.service.retry_now()
        printed = Counter(receipt_digest(r) for r in self.printer.printed)
        allowed = Counter(receipt_digest(r) for r, queued in self.model.values() if queued)
        assert printed == allowed and self.service.queued == 0


PrintMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
test_print_service_state_machine = PrintMachine.TestCase


def crashed_submit(folder: Path, key: str, receipt: Receipt) -> str:
    """What a submit leaves when the agent dies after queueing, before naming the job in the key record."""
    KeyIndex(folder / "keys").put(KeyRecord(key, receipt_digest(receipt), datetime.now(UTC)))
    return PrintQueue(folder).enqueue(receipt).id


def test_a_crash_between_key_and_job_is_adopted_not_printed_twice(tmp_path: Path) -> None:
    printer = FakePrinter()
    printer.mode = "down"
    orphan = crashed_submit(tmp_path, "sale:9", SALE)
    service = open_service(tmp_path, printer)
    try:
        with pytest.raises(UnknownPrintJob):
            service.view("sale:9")  # no job named yet: the client retries the print
        assert [v.key for v in service.pending()] == [None]  # but the receipt is not forgotten
        view = service.submit("sale:9", SALE)  # the client's retry
        assert view.job.id == orphan and not view.replayed and view.to_json()["state"] == "queued"
        printer.mode = "ok"
        assert service.retry_now() == 1 and printer.printed == [SALE]
        assert service.submit("sale:9", SALE).replayed and printer.printed == [SALE]
    finally:
        service.close()


def test_an_orphan_printed_meanwhile_is_adopted_and_other_keys_never_take_it(tmp_path: Path) -> None:
    printer = FakePrinter()
    orphan = crashed_submit(tmp_path, "sale:9", SALE)
    service = open_service(tmp_path, printer)
    try:
        other = service.submit("sale:10", SALE)  # the same receipt under a fresh key: a job of its own
        assert other.job.id != orphan and printer.printed == [SALE]
        assert service.retry_now() == 1 and printer.printed == [SALE, SALE]  # the orphan prints by itself
        late = service.submit("sale:9", SALE)  # its key comes back: adopted, already printed
        assert late.job.id == orphan and late.to_json()["state"] == "printed" and printer.printed == [SALE, SALE]
    finally:
        service.close()


def test_queued_answer_says_why_in_both_languages(tmp_path: Path) -> None:
    printer = FakePrinter()
    printer.mode = "paper_out"
    service = open_service(tmp_path, printer)
    try:
        answer = service.submit("sale:1", SALE).to_json()
        assert answer["state"] == "queued" and answer["reason"]["code"] == "paper_out"
        assert "antrean" in answer["message_id"] and "Kertas struk habis" in answer["message_id"]
        assert "queue" in answer["message_en"] and "paper is out" in answer["message_en"]
        service.close()
        service = open_service(tmp_path, printer)  # after a restart only the code was kept
        again = service.view("sale:1").to_json()
        assert again["reason"]["fields"] == {"last_error": "paper_out"} and again["attempts"] == 1
    finally:
        service.close()
