"""Process supervision: readiness, failure with the log's tail, stopping the whole process group,
SIGKILL for a child that ignores SIGTERM, and children that die with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.devstack.errors import ProcessFailed
from kiosk.devstack.ports import free_port, free_port_pair, listening_ports
from kiosk.devstack.process import ManagedProcess, PathsExist, ReadyLine


def gone(pid: int, timeout: float = 5.0) -> bool:
    """True once ``pid`` no longer exists (or is a zombie nobody reaps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.02)
    return False


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_ready_line_after_noise_and_stop_takes_the_whole_group(tmp_path: Path) -> None:
    code = ("import json, subprocess, sys, time\n"
            "grandchild = subprocess.Popen(['sleep', '300'])\n"
            "print('starting...', file=sys.stderr, flush=True)\n"
            "print(json.dumps({'event': 'ready', 'grandchild': grandchild.pid}), flush=True)\n"
            "time.sleep(300)\n")
    process = ManagedProcess("sleeper", python(code), log_path=tmp_path / "sleeper.log", ready=ReadyLine())
    ready = process.start()
    assert ready["event"] == "ready" and process.alive
    assert process.start() == ready  # already running: nothing new is started
    grandchild = int(ready["grandchild"])
    assert not gone(grandchild, 0.1)
    assert process.stop() == -signal.SIGTERM
    assert gone(grandchild) and not process.alive
    assert "starting..." in (tmp_path / "sleeper.log").read_text()


def test_a_child_that_exits_early_fails_with_its_log_tail(tmp_path: Path) -> None:
    process = ManagedProcess("broken", python("import sys; sys.exit('cannot open /dev/ttyS9')"),
                             log_path=tmp_path / "broken.log", ready=ReadyLine())
    with pytest.raises(ProcessFailed) as failed:
        process.start()
    fields = failed.value.fields
    assert fields["process"] == "broken" and fields["exit_code"] == 1 and "cannot open /dev/ttyS9" in fields["tail"]
    assert "broken" in failed.value.message_id and str(tmp_path / "broken.log") in failed.value.message_en


def test_not_ready_in_time_is_stopped(tmp_path: Path) -> None:
    process = ManagedProcess("silent", ["sleep", "300"], log_path=tmp_path / "silent.log",
                             ready=PathsExist(tmp_path / "never"), timeout_s=0.3)
    with pytest.raises(ProcessFailed) as failed:
        process.start()
    assert "not ready within 0.3 s" in failed.value.message_en and not process.alive


def test_sigterm_ignored_then_sigkill(tmp_path: Path) -> None:
    code = ("import json, signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "print(json.dumps({'event': 'ready'}), flush=True)\ntime.sleep(300)\n")
    process = ManagedProcess("stubborn", python(code), log_path=tmp_path / "stubborn.log", ready=ReadyLine())
    process.start()
    started = time.monotonic()
    assert process.stop(timeout_s=0.5) == -signal.SIGKILL
    assert time.monotonic() - started < 5


def test_children_die_with_their_parent(tmp_path: Path) -> None:
    """The supervisor itself is killed with SIGKILL: the kernel sends its children SIGTERM."""
    code = ("import sys\nfrom pathlib import Path\nfrom kiosk.devstack.process import ManagedProcess, PathsExist\n"
            f"p = ManagedProcess('sleep', ['sleep', '300'], log_path=Path({str(tmp_path / 's.log')!r}),"
            " ready=PathsExist(Path('/')))\n"
            "p.start()\nprint(p.pid, flush=True)\nsys.stdin.read()\n")
    parent = subprocess.Popen(python(code), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).parents[3])
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert not gone(child, 0.2)
        parent.kill()
        parent.wait(timeout=10)
        assert gone(child)
    finally:
        if parent.poll() is None:
            parent.kill()
        parent.wait(timeout=10)
        for stream in (parent.stdin, parent.stdout):
            if stream is not None:
                stream.close()


def test_free_ports() -> None:
    port = free_port()
    assert port not in listening_ports()
    pair = free_port_pair()
    assert {pair, pair + 1}.isdisjoint(listening_ports())
    assert os.path.exists("/proc/net/tcp")
