"""The receipt printer emulator as a real process on a real pty pair, for receipts, agent and checkout tests.

* :class:`PrinterPty`: ``socat`` joining two ptys, ``printer`` (the emulator's end) and ``host``
  (the driver's end, what ``KIOSK_PRINTER`` / ``ReceiptPrinter(path)`` opens).
* :class:`PrinterEmulator`: ``python -m firmware_stubs.printer`` on the printer end, with its
  control API (receipts, faults) and ``restart()`` / ``kill()`` for power-cut tests.
* :class:`PrinterRig`: both together, stopped by ``close()``.

Fixtures: ``printer_rig`` (one per test: its own ptys, store and emulator) and the session-wide
``printer_rig_shared`` with the function-scoped ``printer`` (faults cleared, receipts before the
test skipped via ``rig.mark()`` / ``rig.receipts_since()``). Import the ones you need:
``from tests.support.printer import printer_rig  # noqa: F401``.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

READY_TIMEOUT_S = 20.0


class PrinterPty:
    def __init__(self, root: Path) -> None:
        self.printer, self.host = Path(root) / "printer-dev", Path(root) / "printer-host"
        if shutil.which("socat") is None:
            raise RuntimeError("socat is not installed (scripts/bootstrap installs it)")
        self.proc = subprocess.Popen(
            ["socat", f"pty,raw,echo=0,link={self.printer}", f"pty,raw,echo=0,link={self.host}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 5
        while not (self.printer.exists() and self.host.exists()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("socat did not create the pty pair")
            time.sleep(0.01)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=5)


class PrinterEmulator:
    """``python -m firmware_stubs.printer`` as a child process in its own session."""

    def __init__(self, link: Path, store: Path, columns: int = 42) -> None:
        self.link, self.store, self.columns = link, store, columns
        self.log_path = Path(tempfile.mkstemp(prefix="printer-emulator-", suffix=".log")[1])
        self.proc: subprocess.Popen[bytes] | None = None
        self.control = ""
        self.start()

    def start(self) -> None:
        argv = [sys.executable, "-m", "firmware_stubs.printer", "--link", str(self.link), "--store", str(self.store),
                "--columns", str(self.columns), "--log-level", "INFO"]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        self.control = str(self._wait_ready()["control"])

    def _wait_ready(self) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        deadline, line = time.monotonic() + READY_TIMEOUT_S, b""
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            if select.select([self.proc.stdout], [], [], 0.1)[0]:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                line += chunk
        if not line.endswith(b"\n"):
            self.stop()
            raise RuntimeError(f"printer emulator did not get ready; log: {self.log_text()[-2000:]}")
        ready: dict[str, Any] = json.loads(line.splitlines()[0])
        return ready

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_exit(self, timeout: float = 10.0) -> int:
        assert self.proc is not None
        code = self.proc.wait(timeout=timeout)
        self._close_pipe()
        return code

    def kill(self) -> None:
        """Pull the plug: SIGKILL, no goodbye."""
        if self.alive:
            assert self.proc is not None
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._close_pipe()

    def stop(self) -> None:
        if self.alive:
            assert self.proc is not None
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._close_pipe()

    def restart(self) -> None:
        self.stop()
        self.start()

    def _close_pipe(self) -> None:
        if self.proc is not None and self.proc.stdout is not None and not self.proc.stdout.closed:
            self.proc.stdout.close()

    # ---- control API -----------------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = httpx.request(method, self.control + path, json=body, timeout=15)
        out: dict[str, Any] = response.json()
        if response.status_code != 200:
            raise RuntimeError(f"printer emulator {path}: {response.status_code} {out}")
        return out

    def status(self) -> dict[str, Any]:
        return self._call("GET", "/status")

    def receipts(self, after: int = 0) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = self._call("POST", "/receipts", {"after": after})["receipts"]
        return out

    def receipt(self, number: int) -> dict[str, Any]:
        return self._call("POST", "/receipt", {"number": number})

    def faults(self, **changes: Any) -> dict[str, Any]:
        return self._call("POST", "/faults", changes)

    def reset(self) -> dict[str, Any]:
        return self._call("POST", "/reset", {})


class PrinterRig:
    """A pty pair, a store folder and an emulator on them; ``host`` is the driver's device path."""

    def __init__(self, root: Path, columns: int = 42) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.pty = PrinterPty(self.root)
        try:
            self.emulator = PrinterEmulator(self.pty.printer, self.root / "printed", columns)
        except BaseException:
            self.pty.stop()
            raise
        self._mark = 0

    @property
    def host(self) -> str:
        return str(self.pty.host)

    def mark(self) -> int:
        """Remember the newest receipt so far; ``receipts_since()`` lists only those after it."""
        self._mark = int(self.emulator.status()["receipts"])
        return self._mark

    def receipts_since(self) -> list[dict[str, Any]]:
        return self.emulator.receipts(self._mark)

    def close(self) -> None:
        self.emulator.stop()
        self.pty.stop()


@pytest.fixture
def printer_rig(tmp_path: Path) -> Iterator[PrinterRig]:
    """A private printer (ptys, store, emulator) for one test; may be killed and restarted freely."""
    rig = PrinterRig(tmp_path / "printer")
    yield rig
    rig.close()


@pytest.fixture(scope="session")
def printer_rig_shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrinterRig]:
    rig = PrinterRig(tmp_path_factory.mktemp("printer-shared"))
    yield rig
    rig.close()


@pytest.fixture
def printer(printer_rig_shared: PrinterRig) -> PrinterRig:
    """The shared printer with no faults; ``receipts_since()`` shows this test's receipts only."""
    if not printer_rig_shared.emulator.alive:
        printer_rig_shared.emulator.start()
    printer_rig_shared.emulator.reset()
    printer_rig_shared.mark()
    return printer_rig_shared
