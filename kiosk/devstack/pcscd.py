"""A private pcscd: its own socket and its own vpcd ports, so tests, benchmarks and the demo never
touch the system pcscd or the default ports 35963/35964 (docs/card.md, "A private pcscd").

pcsc-lite 1.9.9's daemon ignores ``PCSCLITE_CSOCK_NAME`` (only the client library reads it) and
always uses ``/run/pcscd``. So the daemon runs in its own mount namespace (``unshare --mount``)
where a private folder is bind-mounted on ``/run/pcscd``; clients reach its socket through
``PCSCLITE_CSOCK_NAME=<folder>/pcscd.comm``. Its reader.conf (``--config``) points vpcd at two
free TCP ports. ``unshare --mount`` needs root (CAP_SYS_ADMIN); without it the daemon falls back
to the system path ``/run/pcscd`` and refuses to start while a system pcscd runs there
(:class:`~kiosk.devstack.errors.PcscdNeedsRoot` says so).

The client library reads ``PCSCLITE_CSOCK_NAME`` once per process: :func:`cards_present` and
:func:`wait_until_empty` ask the pcscd that this process's variable names.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from kiosk.devstack.errors import MissingTool, PcscdNeedsRoot, ProcessFailed
from kiosk.devstack.ports import free_port_pair, listening_ports
from kiosk.devstack.process import ManagedProcess, Predicate

VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
SYSTEM_SOCKET = Path("/run/pcscd/pcscd.comm")
SOCKET_PATH_MAX = 100  # sun_path holds 108 bytes; keep a margin
START_TIMEOUT_S = 10.0
PCSCD_POLL_S = 0.4  # vpcd cannot notify: pcscd asks it for card presence every 400 ms


def unshare_works() -> bool:
    """Whether this process may make a private mount namespace (root, or CAP_SYS_ADMIN)."""
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True, check=False)
    return probe.returncode == 0


class PrivatePcscd:
    """``pcscd --foreground`` with vpcd on ``port`` and ``port + 1``; ``start``/``stop`` may repeat."""

    def __init__(self, root: Path, port: int | None = None, *, log_path: Path | None = None,
                 die_with_parent: bool = True) -> None:
        self.root = Path(root)
        self.conf_dir = self.root / "reader.conf.d"
        self.log_path = Path(log_path) if log_path else self.root / "pcscd.log"
        self.port = port or free_port_pair()
        self.isolated = unshare_works()
        self.run_dir = self.root / "run"
        self._temp_run: Path | None = None
        if len(str(self.run_dir / "pcscd.comm")) > SOCKET_PATH_MAX:  # a deep pytest folder, say
            self._temp_run = self.run_dir = Path(tempfile.mkdtemp(prefix="kiosk-pcscd-"))
        self._lock = threading.Lock()
        self.process = ManagedProcess("pcscd", self._command(), log_path=self.log_path, timeout_s=START_TIMEOUT_S,
                                       ready=Predicate(self._ready, {"socket": str(self.socket_path)}),
                                       die_with_parent=die_with_parent)

    @property
    def socket_path(self) -> Path:
        return self.run_dir / "pcscd.comm" if self.isolated else SYSTEM_SOCKET

    @property
    def vpcd_endpoints(self) -> list[str]:
        """Where the card emulator's slots 0 and 1 connect (readers ``Virtual PCD 00 00`` / ``00 01``)."""
        return [f"127.0.0.1:{self.port}", f"127.0.0.1:{self.port + 1}"]

    @property
    def env(self) -> dict[str, str]:
        """What a PC/SC client process (the agent, scriptor) needs to reach this daemon."""
        return {"PCSCLITE_CSOCK_NAME": str(self.socket_path)}

    @property
    def running(self) -> bool:
        return self.process.alive

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def _command(self) -> list[str]:
        pcscd = ["pcscd", "--foreground", "--config", str(self.conf_dir), "--error"]
        if not self.isolated:
            return pcscd
        script = 'mkdir -p /run/pcscd && mount --bind "$0" /run/pcscd && exec "$@"'
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(self.run_dir), *pcscd]

    def _ready(self) -> bool:
        return self.socket_path.exists() and {self.port, self.port + 1} <= listening_ports()

    def _prepare(self) -> None:
        if shutil.which("pcscd") is None:
            raise MissingTool("pcscd belum terpasang; jalankan scripts/bootstrap.",
                              "pcscd is not installed; run scripts/bootstrap.", tool="pcscd")
        if not Path(VPCD_DRIVER).exists():
            raise MissingTool("vsmartcard-vpcd belum terpasang; jalankan scripts/bootstrap.",
                              "vsmartcard-vpcd is not installed; run scripts/bootstrap.", tool=VPCD_DRIVER)
        if not self.isolated and SYSTEM_SOCKET.exists():
            raise PcscdNeedsRoot(euid=os.geteuid(), system_socket=str(SYSTEM_SOCKET))
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "pcscd.comm").unlink(missing_ok=True)  # a stale socket would look ready
        (self.conf_dir / "vpcd").write_text(
            'FRIENDLYNAME "Virtual PCD"\n'
            f"DEVICENAME   /dev/null:0x{self.port:04X}\n"
            f"LIBPATH      {VPCD_DRIVER}\n"
            f"CHANNELID    0x{self.port:04X}\n"
        )

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            self._prepare()
            try:
                self.process.start()
            except ProcessFailed as exc:
                if not self.isolated and os.geteuid() != 0:
                    raise PcscdNeedsRoot(euid=os.geteuid(), log=str(self.log_path), tail=exc.fields.get("tail", "")) from None
                raise

    def stop(self) -> None:
        """Stop the daemon and wait until its vpcd ports are free again (a restart reuses them)."""
        with self._lock:
            self.process.stop(timeout_s=5)
            deadline = time.monotonic() + 5
            while ({self.port, self.port + 1} & listening_ports()) and time.monotonic() < deadline:
                time.sleep(0.02)

    def close(self) -> None:
        self.stop()
        if self._temp_run is not None:
            shutil.rmtree(self._temp_run, ignore_errors=True)


def cards_present() -> dict[str, bool]:
    """Reader name -> card present, as this process's pcscd sees it now (empty when it does not answer)."""
    from smartcard import scard  # type: ignore[import-untyped]

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return {}
    try:
        hresult, readers = scard.SCardListReaders(context, [])
        if hresult != scard.SCARD_S_SUCCESS:
            return {}
        hresult, states = scard.SCardGetStatusChange(context, 0, [(r, scard.SCARD_STATE_UNAWARE) for r in readers])
        if hresult != scard.SCARD_S_SUCCESS:
            return {}
        return {name: bool(state & scard.SCARD_STATE_PRESENT) for name, state, _atr in states}
    finally:
        scard.SCardReleaseContext(context)


def wait_until_empty(timeout: float = 3.0) -> None:
    """Wait until pcscd has seen every card leave (it polls vpcd every 400 ms); a card inserted
    before that would look like the old one never left."""
    deadline = time.monotonic() + timeout
    while any(cards_present().values()) and time.monotonic() < deadline:
        time.sleep(0.02)
