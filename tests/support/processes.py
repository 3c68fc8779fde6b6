"""The kiosk's own processes (web, worker) as real subprocesses, for crash-injection tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
KIOSK = str(ROOT / ".venv" / "bin" / "kiosk")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class KioskProcess:
    """``kiosk run`` (the web app on the development server) or ``kiosk worker`` with ``env``."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("ab")
        self.proc = subprocess.Popen([KIOSK, *argv], env={**os.environ, **env}, cwd=ROOT, stdout=self._out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    @classmethod
    def web(cls, env: dict[str, str], log: Path) -> tuple[KioskProcess, str]:
        port = free_port()
        process = cls(["run", "--host", "127.0.0.1", "--port", str(port), "--no-reload", "--with-threads"], env, log)
        base = f"http://127.0.0.1:{port}"
        process.wait_http(f"{base}/healthz")
        return process, base

    @classmethod
    def worker(cls, env: dict[str, str], log: Path) -> KioskProcess:
        return cls(["worker"], env, log)

    def wait_http(self, url: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{url} never answered: {self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)

    def wait_exit(self, timeout: float = 60.0) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._out.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
