"""The emulated devices as supervised processes: socat pty pairs, the card emulator (vpcd), the
PIN pad and the receipt printer, each with its control API's client (``client``) once it is ready.

The emulators live in ``firmware_stubs`` and run as ``python -m firmware_stubs.<device>``; this
module only starts, checks and stops them (docs/devices.md).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kiosk.devstack.controls import CardControl, PinPadControl, PrinterControl
from kiosk.devstack.errors import MissingTool, ProcessFailed
from kiosk.devstack.process import ManagedProcess, PathsExist, ReadyLine


class PtyPair:
    """``socat`` joining two ptys behind the links ``device`` (the emulator's end) and ``host``
    (the driver's end: what the agent opens). Stopping it is pulling the cable out."""

    def __init__(self, device: Path, host: Path, *, log_path: Path, die_with_parent: bool = True) -> None:
        if shutil.which("socat") is None:
            raise MissingTool("socat belum terpasang; jalankan scripts/bootstrap.",
                              "socat is not installed; run scripts/bootstrap.", tool="socat")
        self.device, self.host = Path(device), Path(host)
        argv = ["socat", f"pty,raw,echo=0,link={self.device}", f"pty,raw,echo=0,link={self.host}"]
        self.process = ManagedProcess(f"socat {self.device.name}", argv, log_path=log_path, timeout_s=5,
                                      ready=PathsExist(self.device, self.host), die_with_parent=die_with_parent)

    def start(self) -> PtyPair:
        if not self.process.alive:
            for link in (self.device, self.host):  # left by a socat that was killed: would look ready
                link.unlink(missing_ok=True)
            self.device.parent.mkdir(parents=True, exist_ok=True)
            self.process.start()
        return self

    def stop(self) -> None:
        self.process.stop(timeout_s=5)


class EmulatorProcess:
    """A ``firmware_stubs`` emulator: it prints ``{"event": "ready", "control": URL}`` when ready."""

    def __init__(self, name: str, argv: Sequence[str], *, log_path: Path, env: dict[str, str] | None = None,
                 die_with_parent: bool = True) -> None:
        self.process = ManagedProcess(name, argv, log_path=log_path, env=env, ready=ReadyLine(),
                                      die_with_parent=die_with_parent)
        self.control_url = ""

    def start(self) -> dict[str, Any]:
        ready = self.process.start()
        url = ready.get("control")
        if not isinstance(url, str):
            self.process.stop()
            raise ProcessFailed(process=self.process.name, detail="ready line without a control URL")
        self.control_url = url
        return ready

    def stop(self) -> None:
        self.process.stop()

    def kill(self) -> None:
        self.process.kill()

    def restart(self) -> None:
        self.stop()
        self.start()

    def wait_exit(self, timeout_s: float = 10.0) -> int:
        return self.process.wait_exit(timeout_s)

    @property
    def alive(self) -> bool:
        return self.process.alive

    @property
    def log_path(self) -> Path:
        return self.process.log_path

    def log_text(self) -> str:
        return self.process.log_text()


def _python(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


class CardEmulator(EmulatorProcess):
    def __init__(self, deck: Path, vpcd_endpoints: Sequence[str], *, log_path: Path, max_answer: int = 256,
                 inserts: Sequence[str] = (), log_level: str = "INFO", die_with_parent: bool = True) -> None:
        argv = _python("firmware_stubs.card", "serve", "--deck", str(deck), "--max-answer", str(max_answer),
                       "--log-level", log_level)
        for endpoint in vpcd_endpoints:
            argv += ["--vpcd", endpoint]
        for spec in inserts:
            argv += ["--insert", spec]
        super().__init__("card emulator", argv, log_path=log_path, die_with_parent=die_with_parent)
        self.deck = Path(deck)

    @property
    def client(self) -> CardControl:
        return CardControl(self.control_url)


class PinPadEmulator(EmulatorProcess):
    def __init__(self, link: Path, *, log_path: Path, log_level: str = "INFO", die_with_parent: bool = True) -> None:
        argv = _python("firmware_stubs.pinpad", "serve", "--port-link", str(link), "--log-level", log_level)
        super().__init__("PIN pad emulator", argv, log_path=log_path, die_with_parent=die_with_parent)

    @property
    def client(self) -> PinPadControl:
        return PinPadControl(self.control_url)


class PrinterEmulator(EmulatorProcess):
    def __init__(self, link: Path, store: Path, *, log_path: Path, columns: int = 42, log_level: str = "INFO",
                 die_with_parent: bool = True) -> None:
        argv = _python("firmware_stubs.printer", "--link", str(link), "--store", str(store), "--columns",
                       str(columns), "--log-level", log_level)
        super().__init__("printer emulator", argv, log_path=log_path, die_with_parent=die_with_parent)
        self.link, self.store, self.columns = Path(link), Path(store), columns

    @property
    def client(self) -> PrinterControl:
        return PrinterControl(self.control_url)
