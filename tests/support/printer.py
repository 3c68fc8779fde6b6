"""The receipt printer emulator as a real process on a real pty pair, for receipts, agent and
checkout tests: thin wrappers over :mod:`kiosk.devstack` (which the demo uses too).

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

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.devstack import emulators


class PrinterPty(emulators.PtyPair):
    def __init__(self, root: Path) -> None:
        root = Path(root)
        super().__init__(root / "printer-dev", root / "printer-host", log_path=root / "logs" / "printer-link.log")
        self.printer = self.device
        self.start()


class PrinterEmulator(emulators.PrinterEmulator):
    """The emulator process; ``control`` is its control URL, the methods call its control API."""

    def __init__(self, link: Path, store: Path, columns: int = 42) -> None:
        super().__init__(link, store, log_path=Path(store).parent / "logs" / f"printer-{Path(link).name}.log",
                         columns=columns)
        self.control = ""
        self.start()

    def start(self) -> dict[str, Any]:
        ready = super().start()
        self.control = self.control_url
        return ready

    def status(self) -> dict[str, Any]:
        return self.client.status()

    def receipts(self, after: int = 0) -> list[dict[str, Any]]:
        return self.client.receipts(after)

    def receipt(self, number: int) -> dict[str, Any]:
        return self.client.receipt(number)

    def faults(self, **changes: Any) -> dict[str, Any]:
        return self.client.faults(**changes)

    def reset(self) -> dict[str, Any]:
        return self.client.reset()


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
