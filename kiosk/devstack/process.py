"""One supervised child process: started in its own session, ready when a check says so, stopped
(SIGTERM to its whole process group, then SIGKILL) by its owner.

* Output (stdout and stderr) goes to a log file, appended across restarts; nothing is piped, so
  a chatty child can never block on a full pipe.
* Readiness is a :class:`Readiness` check polled until it answers: :class:`ReadyLine` (the
  ``{"event": "ready", ...}`` JSON line our emulators and the agent print on stdout),
  :class:`PathsExist` (socat's pty links), :class:`Predicate` (pcscd's socket and ports).
* A child that exits before it is ready, or is not ready in time, raises
  :class:`~kiosk.devstack.errors.ProcessFailed` with the tail of its log.
* ``die_with_parent``: the child runs under ``setpriv --pdeathsig TERM`` (util-linux), so the
  kernel sends it SIGTERM if the process that started it dies, even by SIGKILL. The parent is
  the *thread* that started it: start stacks from a thread that lives as long as the stack.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from card_reader.logs import log_event
from kiosk.devstack.errors import ProcessFailed

log = logging.getLogger("kiosk.devstack")
POLL_S = 0.02
DEFAULT_READY_TIMEOUT_S = 20.0
TAIL_CHARS = 2000


class Readiness(Protocol):
    """Polled while the child starts: ``None`` for not yet, else what it reported (maybe ``{}``)."""

    def check(self, process: ManagedProcess) -> dict[str, Any] | None: ...


class ReadyLine:
    """A JSON line with ``"event": "ready"`` in the child's output since this start."""

    def check(self, process: ManagedProcess) -> dict[str, Any] | None:
        for line in process.output_since_start().splitlines():
            if line.startswith("{"):
                try:
                    value = json.loads(line)
                except ValueError:
                    continue
                if isinstance(value, dict) and value.get("event") == "ready":
                    return value
        return None


class PathsExist:
    def __init__(self, *paths: Path) -> None:
        self.paths = paths

    def check(self, process: ManagedProcess) -> dict[str, Any] | None:
        return {"paths": [str(p) for p in self.paths]} if all(p.exists() for p in self.paths) else None


class Predicate:
    def __init__(self, condition: Callable[[], bool], info: Mapping[str, Any] | None = None) -> None:
        self.condition, self.info = condition, dict(info or {})

    def check(self, process: ManagedProcess) -> dict[str, Any] | None:
        return dict(self.info) if self.condition() else None


def pdeathsig_prefix() -> list[str]:
    """``setpriv --pdeathsig TERM --`` where util-linux's setpriv exists (Debian: always)."""
    return ["setpriv", "--pdeathsig", "TERM", "--"] if shutil.which("setpriv") else []


class ManagedProcess:
    def __init__(self, name: str, argv: Sequence[str], *, log_path: Path, ready: Readiness,
                 env: Mapping[str, str] | None = None, timeout_s: float = DEFAULT_READY_TIMEOUT_S,
                 die_with_parent: bool = True) -> None:
        self.name, self.argv, self.log_path, self.readiness = name, list(argv), Path(log_path), ready
        self.env, self.timeout_s, self.die_with_parent = dict(env or {}), timeout_s, die_with_parent
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready: dict[str, Any] = {}
        self._offset = 0

    # ---- state -----------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll() if self.proc is not None else None

    def output_since_start(self) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(self._offset)
                return fh.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, chars: int = TAIL_CHARS) -> str:
        return self.output_since_start()[-chars:]

    # ---- start and stop --------------------------------------------------------------------

    def start(self) -> dict[str, Any]:
        """Start the child (if it is not running) and wait until it is ready; returns its report."""
        if self.alive:
            return self.ready
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as out:
            self._offset = out.tell()
            argv = (pdeathsig_prefix() if self.die_with_parent else []) + self.argv
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env={**os.environ, **self.env}, start_new_session=True)
        self.ready = self._wait_ready()
        log_event(log, "devstack.started", process=self.name, pid=self.proc.pid, log=self.log_path)
        return self.ready

    def _wait_ready(self) -> dict[str, Any]:
        proc = self._running_proc()
        deadline = time.monotonic() + self.timeout_s
        while True:
            report = self.readiness.check(self)
            if report is not None:
                return report
            code = proc.poll()
            if code is not None:
                raise self._failed(f"exited with code {code} before it was ready", exit_code=code)
            if time.monotonic() > deadline:
                self.stop()
                raise self._failed(f"not ready within {self.timeout_s} s")
            time.sleep(POLL_S)

    def _failed(self, why: str, **fields: Any) -> ProcessFailed:
        tail = self.log_tail()
        log_event(log, "devstack.failed", logging.ERROR, process=self.name, why=why, log=self.log_path)
        return ProcessFailed(f"Proses {self.name} gagal: {why}. Lihat {self.log_path}.",
                             f"Process {self.name} failed: {why}. See {self.log_path}.",
                             process=self.name, log=str(self.log_path), tail=tail, **fields)

    def _signal_group(self, sig: signal.Signals) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """SIGTERM to the process group, SIGKILL after ``timeout_s``; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                log_event(log, "devstack.kill", logging.WARNING, process=self.name, pid=self.proc.pid)
                self._signal_group(signal.SIGKILL)
                self.proc.wait(timeout=timeout_s)
            log_event(log, "devstack.stopped", process=self.name, code=self.proc.returncode)
        self._signal_group(signal.SIGKILL)  # whatever the leader left behind in its group
        return self.proc.returncode

    def kill(self) -> None:
        """Pull the plug: SIGKILL to the whole group, no goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            self._signal_group(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def wait_exit(self, timeout_s: float = 10.0) -> int:
        """Wait for the child to end by itself (a power-cut test); returns its exit code."""
        return self._running_proc().wait(timeout=timeout_s)

    def _running_proc(self) -> subprocess.Popen[bytes]:
        if self.proc is None:
            raise ProcessFailed(f"Proses {self.name} belum dimulai.", f"Process {self.name} was never started.",
                                process=self.name)
        return self.proc

    def restart(self) -> dict[str, Any]:
        self.stop()
        return self.start()
