"""The printer emulator as a real process on a real pty pair, driven with raw bytes from the host end."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import serial
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware_stubs.printer.device import EXIT_CODE_POWER_CUT
from tests.support.printer import PrinterRig, printer_rig  # noqa: F401

DLE_EOT = b"\x10\x04"
RECEIPT = b"\x1b@" + b"\x1ba\x01KIOS\n\x1ba\x00Urea 50 kg\n" + b"\x1d(k\x08\x001P0hello\x1d(k\x03\x001Q0" + b"\x1dV\x00"


@pytest.fixture
def host(printer_rig: PrinterRig) -> Iterator[serial.Serial]:  # noqa: F811
    line = serial.Serial(printer_rig.host, 9600, timeout=0.5, write_timeout=1.0, xonxoff=True)
    yield line
    line.close()


def ask(line: serial.Serial, n: int) -> bytes:
    line.reset_input_buffer()
    line.write(DLE_EOT + bytes([n]))
    return bytes(line.read(1))


def wait_until(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.02)


def test_prints_a_receipt_into_the_store_and_answers_status(printer_rig: PrinterRig, host: serial.Serial) -> None:  # noqa: F811
    host.write(RECEIPT)
    assert ask(host, 1) == b"\x12"  # answered after the receipt's bytes: so it is stored by now
    [receipt] = printer_rig.emulator.receipts()
    assert receipt["number"] == 1 and receipt["qr"] == ["hello"] and receipt["errors"] == []
    assert receipt["text"] == " " * 19 + "KIOS\nUrea 50 kg\n[QR]"
    stored = Path(printer_rig.root / "printed" / "receipt-000001.json")
    assert stored.exists() and printer_rig.emulator.receipt(1) == receipt


def test_paper_and_cover_faults_show_in_realtime_status(printer_rig: PrinterRig, host: serial.Serial) -> None:  # noqa: F811
    assert [ask(host, n) for n in (1, 2, 3, 4)] == [b"\x12"] * 4
    printer_rig.emulator.faults(paper="near_end")
    assert [ask(host, n) for n in (1, 2, 4)] == [b"\x12", b"\x12", b"\x1e"]
    printer_rig.emulator.faults(paper="out")
    assert [ask(host, n) for n in (1, 2, 4)] == [b"\x1a", b"\x32", b"\x7e"]
    host.write(RECEIPT)  # no paper: nothing prints
    assert ask(host, 1) == b"\x1a"
    assert printer_rig.emulator.receipts() == [] and printer_rig.emulator.status()["dropped_bytes"] > 0
    printer_rig.emulator.faults(paper="ok", cover_open=True)
    assert [ask(host, n) for n in (1, 2)] == [b"\x1a", b"\x16"]


def test_offline_drop_answers_nothing_and_loses_bytes_sent_meanwhile(printer_rig: PrinterRig, host: serial.Serial) -> None:  # noqa: F811
    printer_rig.emulator.faults(offline="drop")
    assert printer_rig.emulator.status()["link"] == "closed"
    assert ask(host, 1) == b""
    host.write(RECEIPT)
    printer_rig.emulator.faults(offline=False)
    assert ask(host, 1) == b"\x12"
    assert printer_rig.emulator.receipts() == []


def test_offline_after_bytes_aborts_the_receipt_mid_stream(printer_rig: PrinterRig, host: serial.Serial) -> None:  # noqa: F811
    printer_rig.emulator.faults(offline="drop", after_bytes=20)
    host.write(RECEIPT)
    wait_until(lambda: printer_rig.emulator.status()["offline"] == "drop")
    status = printer_rig.emulator.status()
    assert status["aborted"] == 1 and status["receipts"] == 0
    printer_rig.emulator.faults(offline=False)
    host.write(RECEIPT)
    assert ask(host, 1) == b"\x12"
    assert [r["text"] for r in printer_rig.emulator.receipts()] == [" " * 19 + "KIOS\nUrea 50 kg\n[QR]"]


def test_stall_sends_xoff_so_the_hosts_writes_time_out(printer_rig: PrinterRig, host: serial.Serial) -> None:  # noqa: F811
    printer_rig.emulator.faults(offline="stall")
    host.write_timeout = 0.2

    def blocked() -> bool:
        try:
            host.write(b"\x1b@")
        except serial.SerialTimeoutException:
            return True
        return False

    wait_until(blocked)  # as soon as the XOFF has crossed socat, and from then on
    with pytest.raises(serial.SerialTimeoutException):
        host.write(RECEIPT)
    printer_rig.emulator.faults(offline=False)  # XON: the line moves again
    assert ask(host, 1) == b"\x12"


def test_power_cut_exits_and_a_restart_keeps_the_store(printer_rig: PrinterRig, host: serial.Serial) -> None:  # noqa: F811
    host.write(RECEIPT)
    assert ask(host, 1) == b"\x12"
    printer_rig.emulator.faults(exit_after_bytes=10)
    host.write(RECEIPT)
    assert printer_rig.emulator.wait_exit() == EXIT_CODE_POWER_CUT
    printer_rig.emulator.start()  # a fresh process drains what was left on the line
    host.write(RECEIPT)
    assert ask(host, 1) == b"\x12"
    assert [r["number"] for r in printer_rig.emulator.receipts()] == [1, 2]


def test_control_api_refuses_bad_bodies_in_both_languages(printer_rig: PrinterRig) -> None:  # noqa: F811
    control = printer_rig.emulator.control
    for body in ({"paper": "lots"}, {"offline": "maybe"}, {"after_bytes": 3}, {"exit_after_bytes": -1},
                 {"cover_open": "yes"}, {"colour": "red"}):
        response = httpx.post(control + "/faults", json=body, timeout=10)
        assert response.status_code == 400, body
        error = response.json()["error"]
        assert error["message_id"] and error["message_en"]
    assert httpx.post(control + "/receipt", json={"number": 99}, timeout=10).status_code == 404
    assert httpx.post(control + "/receipt", json={"number": "x"}, timeout=10).status_code == 400
    assert httpx.get(control + "/nothing", timeout=10).status_code == 404
    assert printer_rig.emulator.status()["paper"] == "ok"


def test_cli_refuses_a_missing_link(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "firmware_stubs.printer", "--link", str(tmp_path / "none"),
                             "--store", str(tmp_path / "s")], check=False, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0 and "does not exist" in result.stderr


# ---- fuzzing the real process ----------------------------------------------------------------

@pytest.fixture(scope="module")
def fuzz_rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PrinterRig, serial.Serial]]:
    rig = PrinterRig(tmp_path_factory.mktemp("printer-fuzz"))
    line = serial.Serial(rig.host, 9600, timeout=0.5, write_timeout=2.0)
    yield rig, line
    line.close()
    rig.close()


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_fuzz_random_bytes_never_kill_or_wedge_the_emulator(fuzz_rig: tuple[PrinterRig, serial.Serial],
                                                             garbage: bytes) -> None:
    rig, line = fuzz_rig
    line.write(garbage + b"\x1b@")
    wait_until(lambda: not rig.emulator.status()["current"]["decoder_pending"], timeout=5)
    assert rig.emulator.alive
    assert ask(line, 1) in (b"\x12", b"\x1a")
    before = rig.emulator.status()["receipts"]
    line.write(RECEIPT)
    assert ask(line, 1) == b"\x12"
    assert rig.emulator.receipts(before)[-1]["qr"] == ["hello"]
