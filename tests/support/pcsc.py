"""A private pcscd for tests, benchmarks and the demo: its own socket and its own vpcd ports.

pcsc-lite 1.9.9's daemon ignores ``PCSCLITE_CSOCK_NAME`` (only the client library reads it) and
always uses ``/run/pcscd``. So the daemon runs in its own mount namespace (``unshare --mount``)
where a private folder is bind-mounted on ``/run/pcscd``; clients reach its socket through
``PCSCLITE_CSOCK_NAME=<folder>/pcscd.comm``. Its reader.conf (``--config``) points vpcd at two
free TCP ports. Nothing touches the system pcscd or ports 35963/35964, so test runs, CI and the
demo can share a machine. See docs/card.md.

The client library reads ``PCSCLITE_CSOCK_NAME`` once per process, so a process has one private
pcscd (:func:`shared_pcscd`), which tests may stop and start again at the same socket and ports.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
START_TIMEOUT_S = 10.0


def _listening_ports() -> set[int]:
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > 3 and parts[3] == "0A":
                ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


def free_port_pair() -> int:
    """A port p with p and p+1 free (vpcd listens on its port and the next)."""
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("0.0.0.0", 0))
            port = int(s.getsockname()[1])
        if port >= 65535:
            continue
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("0.0.0.0", port))
                b.bind(("0.0.0.0", port + 1))
        except OSError:
            continue
        return port
    raise RuntimeError("no two consecutive free TCP ports")


def unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    return probe.returncode == 0


class PrivatePcscd:
    def __init__(self, root: Path, port: int | None = None) -> None:
        self.root = Path(root)
        self.run_dir = self.root / "run"
        self.conf_dir = self.root / "reader.conf.d"
        self.log_path = self.root / "pcscd.log"
        self.port = port or free_port_pair()
        self.isolated = unshare_works()
        self.proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    @property
    def socket_path(self) -> Path:
        return self.run_dir / "pcscd.comm" if self.isolated else Path("/run/pcscd/pcscd.comm")

    @property
    def vpcd_endpoints(self) -> list[str]:
        return [f"127.0.0.1:{self.port}", f"127.0.0.1:{self.port + 1}"]

    @property
    def env(self) -> dict[str, str]:
        return {"PCSCLITE_CSOCK_NAME": str(self.socket_path)}

    def _write_config(self) -> None:
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.conf_dir / "vpcd").write_text(
            'FRIENDLYNAME "Virtual PCD"\n'
            f"DEVICENAME   /dev/null:0x{self.port:04X}\n"
            f"LIBPATH      {VPCD_DRIVER}\n"
            f"CHANNELID    0x{self.port:04X}\n"
        )

    def _command(self) -> list[str]:
        pcscd = ["pcscd", "--foreground", "--config", str(self.conf_dir), "--error"]
        if not self.isolated:
            return pcscd
        script = 'mkdir -p /run/pcscd && mount --bind "$0" /run/pcscd && exec "$@"'
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(self.run_dir), *pcscd]

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            self._write_config()
            if not self.isolated and self.socket_path.exists():
                raise RuntimeError("a system pcscd owns /run/pcscd and `unshare --mount` is not permitted here: "
                                   "run the tests as root (CAP_SYS_ADMIN) or stop the system pcscd")
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(self._command(), stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
            deadline = time.monotonic() + START_TIMEOUT_S
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"pcscd exited with {self.proc.returncode}; see {self.log_path}")
                if self.socket_path.exists() and {self.port, self.port + 1} <= _listening_ports():
                    return
                time.sleep(0.02)
            self._kill()
            raise RuntimeError(f"pcscd did not get ready in {START_TIMEOUT_S} s; see {self.log_path}")

    def _kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def stop(self) -> None:
        with self._lock:
            self._kill()
            deadline = time.monotonic() + 5
            while ({self.port, self.port + 1} & _listening_ports()) and time.monotonic() < deadline:
                time.sleep(0.02)


def cards_present() -> dict[str, bool]:
    """Reader name -> card present, as pcscd sees it now (empty when pcscd does not answer)."""
    from smartcard import scard

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


_shared: PrivatePcscd | None = None
_users = 0
_shared_lock = threading.Lock()


@contextmanager
def shared_pcscd() -> Iterator[PrivatePcscd]:
    """The process's private pcscd, started on first use and stopped when the last user leaves.

    Sets ``PCSCLITE_CSOCK_NAME`` in this process (the client library reads it once).
    """
    global _shared, _users
    with _shared_lock:
        if _shared is None:
            root = Path(tempfile.mkdtemp(prefix="kiosk-pcscd-"))
            atexit.register(shutil.rmtree, root, True)
            _shared = PrivatePcscd(root)
            os.environ.update(_shared.env)
        _users += 1
        daemon = _shared
    try:
        daemon.start()
        yield daemon
    finally:
        with _shared_lock:
            _users -= 1
            if _users == 0:
                daemon.stop()
