"""The receipt printer driver against the real emulator process on a real pty pair."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from firmware_stubs.printer.device import EXIT_CODE_POWER_CUT
from kiosk.receipts import (
    Link,
    Paper,
    PaperOut,
    PrinterError,
    PrinterOffline,
    PrinterWriteTimeout,
    parse_qr_payload,
    qr_payload,
)
from kiosk.receipts.layout import WIDTHS
from kiosk.receipts.printer import ReceiptPrinter
from kiosk.receipts.queue import PrintQueue
from tests.kiosk.receipts.samples import SALE, SAMPLES
from tests.support.printer import PrinterPty, PrinterRig, printer_rig  # noqa: F401

GOLDEN = Path(__file__).parent / "golden"


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.05)


def golden(name: str, width: int) -> str:
    return (GOLDEN / f"{name}-{width}.txt").read_text("utf-8").rstrip("\n")


@pytest.fixture(scope="module")
def rigs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, PrinterRig]]:
    made = {width: PrinterRig(tmp_path_factory.mktemp(f"printer-{width}"), columns=width) for width in WIDTHS}
    yield made
    for rig in made.values():
        rig.close()


@pytest.fixture
def driver(printer_rig: PrinterRig) -> Iterator[ReceiptPrinter]:  # noqa: F811
    printer = ReceiptPrinter(printer_rig.host, status_timeout_s=0.3, write_timeout_s=1.0)
    yield printer
    printer.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_kind_prints_exactly_at_each_width(rigs: dict[int, PrinterRig], name: str, width: int) -> None:
    rig = rigs[width]
    rig.mark()
    printer = ReceiptPrinter(rig.host, width=width)
    try:
        result = printer.print_receipt(SAMPLES[name])
    finally:
        printer.close()
    [printed] = rig.receipts_since()
    assert printed["text"] == golden(name, width)
    assert printed["errors"] == [] and printed["columns"] == width
    assert [parse_qr_payload(q) for q in printed["qr"]] == [SAMPLES[name].header.proof]
    assert list(result.qr) == printed["qr"] and not result.paper_near_end


def test_status_reports_ready_near_end_out_and_cover(printer_rig: PrinterRig, driver: ReceiptPrinter) -> None:  # noqa: F811
    ready = driver.status()
    assert ready.link is Link.READY and ready.online and ready.paper is Paper.OK and ready.can_print
    printer_rig.emulator.faults(paper="near_end")
    assert driver.status().paper is Paper.NEAR_END and driver.status().can_print
    printer_rig.emulator.faults(paper="out")
    out = driver.status()
    assert out.paper is Paper.OUT and not out.online and not out.can_print
    printer_rig.emulator.faults(paper="ok", cover_open=True)
    assert driver.status().cover_open
    assert driver.status_dict() | {"port": "x"} == {"port": "x", "connected": True, "width": 42, "state": "error",
                                                    "link": "ready", "online": False, "paper": "ok",
                                                    "cover_open": True, "error": False, "can_print": False}
    with driver._lock:  # a receipt is being printed: the agent's status page does not wait for it
        assert driver.status_dict()["state"] == "busy"


def test_out_of_paper_is_detected_before_printing(printer_rig: PrinterRig, driver: ReceiptPrinter) -> None:  # noqa: F811
    printer_rig.emulator.faults(paper="out")
    with pytest.raises(PaperOut) as caught:
        driver.print_receipt(SALE)
    assert caught.value.message_id.startswith("Kertas struk habis") and "paper is out" in caught.value.message_en
    status = printer_rig.emulator.status()
    assert status["receipts"] == 0 and status["dropped_bytes"] == 0  # refused before a byte of it was sent
    printer_rig.emulator.faults(paper="ok", cover_open=True)
    with pytest.raises(PrinterOffline) as cover:
        driver.print_receipt(SALE)
    assert cover.value.fields["reason"] == "cover_open"


def test_paper_near_end_prints_and_warns(printer_rig: PrinterRig, driver: ReceiptPrinter) -> None:  # noqa: F811
    printer_rig.emulator.faults(paper="near_end")
    result = driver.print_receipt(SALE)
    assert result.paper_near_end
    assert [r["text"] for r in printer_rig.emulator.receipts()] == [golden("sale", 42)]


def test_unplugged_mid_receipt_then_printed_once_from_the_queue(printer_rig: PrinterRig, driver: ReceiptPrinter,  # noqa: F811
                                                               tmp_path: Path) -> None:
    queue = PrintQueue(tmp_path / "queue")
    job = queue.enqueue(SALE)
    printer_rig.emulator.faults(offline="drop", after_bytes=300)  # the cable comes out 300 bytes in
    with pytest.raises(PrinterOffline) as caught:
        driver.print_receipt(queue.next().receipt)  # type: ignore[union-attr]
    queue.mark_failed(job.id, caught.value)
    assert caught.value.fields["reason"] == "link_lost"
    assert [j.id for j in queue.pending()] == [job.id] and queue.get(job.id).last_error == "printer_offline"
    assert printer_rig.emulator.status()["receipts"] == 0 and printer_rig.emulator.status()["aborted"] == 1

    printer_rig.emulator.faults(offline=False)  # plugged back in
    pending = queue.next()
    assert pending is not None
    driver.print_receipt(pending.receipt)
    queue.mark_printed(pending.id)
    assert queue.pending() == []
    [printed] = printer_rig.emulator.receipts()
    assert printed["text"] == golden("sale", 42) and printed["errors"] == []


def test_printer_killed_mid_receipt_then_one_complete_receipt(printer_rig: PrinterRig, driver: ReceiptPrinter) -> None:  # noqa: F811
    printer_rig.emulator.faults(exit_after_bytes=300)  # power cut 300 bytes into the receipt
    with pytest.raises(PrinterError):
        driver.print_receipt(SALE)
    assert printer_rig.emulator.wait_exit() == EXIT_CODE_POWER_CUT
    assert driver.status().link is Link.NO_ANSWER
    printer_rig.emulator.start()
    driver.print_receipt(SALE)
    [printed] = printer_rig.emulator.receipts()
    assert printed["text"] == golden("sale", 42) and printed["qr"] == [qr_payload(SALE.header.proof)]


def test_emulator_process_gone_is_offline_before_printing(printer_rig: PrinterRig, driver: ReceiptPrinter) -> None:  # noqa: F811
    printer_rig.emulator.kill()
    with pytest.raises(PrinterOffline) as caught:
        driver.print_receipt(SALE)
    assert caught.value.fields["reason"] == "no_answer"
    printer_rig.emulator.start()
    driver.print_receipt(SALE)
    assert len(printer_rig.emulator.receipts()) == 1


def test_stalled_printer_gives_write_timeout(printer_rig: PrinterRig, driver: ReceiptPrinter) -> None:  # noqa: F811
    printer_rig.emulator.faults(offline="stall")
    wait_for(lambda: driver.status().link is Link.BLOCKED)  # once its XOFF has crossed the line
    with pytest.raises(PrinterWriteTimeout) as caught:
        driver.print_receipt(SALE)
    assert caught.value.to_dict()["code"] == "printer_write_timeout" and caught.value.message_id
    printer_rig.emulator.faults(offline=False)
    driver.print_receipt(SALE)
    assert [r["text"] for r in printer_rig.emulator.receipts()] == [golden("sale", 42)]


def test_stall_mid_receipt_is_an_error_and_nothing_half_prints(printer_rig: PrinterRig, driver: ReceiptPrinter) -> None:  # noqa: F811
    printer_rig.emulator.faults(offline="stall", after_bytes=200)
    with pytest.raises(PrinterError):
        driver.print_receipt(SALE)
    printer_rig.emulator.faults(offline=False)
    driver.print_receipt(SALE)
    assert [r["text"] for r in printer_rig.emulator.receipts()] == [golden("sale", 42)]


def test_missing_device_is_offline_cannot_open(tmp_path: Path) -> None:
    printer = ReceiptPrinter(str(tmp_path / "no-such-tty"))
    assert printer.status().link is Link.UNAVAILABLE
    assert printer.status_dict()["connected"] is False
    with pytest.raises(PrinterOffline) as caught:
        printer.print_receipt(SALE)
    assert caught.value.fields["reason"] == "cannot_open"
    assert "tidak terhubung" in caught.value.message_id and "not connected" in caught.value.message_en
    printer.close()


def test_link_replaced_both_sides_reconnect(printer_rig: PrinterRig, driver: ReceiptPrinter) -> None:  # noqa: F811
    """The serial link itself disappears (USB adapter pulled) and comes back as a new device."""
    driver.print_receipt(SALE)
    printer_rig.pty.stop()
    assert driver.status().link in (Link.NO_ANSWER, Link.UNAVAILABLE)
    with pytest.raises(PrinterOffline):
        driver.print_receipt(SALE)
    printer_rig.pty = PrinterPty(printer_rig.root)  # plugged in again: new ptys behind the same paths
    wait_for(lambda: driver.status().link is Link.READY)
    driver.print_receipt(SALE)
    assert [r["text"] for r in printer_rig.emulator.receipts()] == [golden("sale", 42)] * 2
