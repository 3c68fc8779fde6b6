"""``python -m kiosk.devstack up`` / ``kiosk devices`` as a person uses them: up prints what is
where, the other commands drive the running stack, Ctrl-C stops everything, a crashed device
stops the stack (exit 3), and killing ``up`` itself takes its children along."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kiosk.devstack.cli import EXIT_CRASHED, devices_group
from kiosk.devstack.deck import card_pin
from kiosk.devstack.stack import STACK_FILE
from tests.kiosk.devstack.test_process import gone

ROOT = Path(__file__).parents[3]


class Up:
    """``python -m kiosk.devstack up`` in the background, its output in a file."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir, self.out = run_dir, run_dir.parent / "up.out"
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "kiosk.devstack", "up", "--run-dir", str(run_dir),
                                          "--cards", "2"], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + 60
        while "Ctrl-C stops everything." not in self.text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                pytest.fail(f"devstack up did not come up: {self.text()}")
            time.sleep(0.1)
        self.described: dict[str, Any] = json.loads((run_dir / STACK_FILE).read_text())

    def text(self) -> str:
        return self.out.read_text(errors="replace")

    @property
    def pids(self) -> list[int]:
        return list(self.described["pids"].values())

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    running = Up(tmp_path / "run")
    yield running
    running.close()


def cli(*args: str) -> Any:
    return CliRunner().invoke(devices_group, list(args), catch_exceptions=False)


def test_up_prints_what_is_where_commands_drive_it_and_ctrl_c_stops_all(up: Up) -> None:
    run = str(up.run_dir)
    text, described = up.text(), up.described
    for line in ("pcscd", "card emulator", "PIN pad", "printer", "agent", "KIOSK_AGENT_URL=", "KIOSK_AGENT_TOKEN_FILE="):
        assert line in text
    token = Path(described["agent"]["token_file"]).read_text().strip()
    assert token not in text
    card = described["cards"][0]
    assert cli("insert", "--run-dir", run, card).exit_code == 0
    cards = json.loads(cli("cards", "--run-dir", run).output)
    assert {c["card_number"] for c in cards} == set(described["cards"])
    pin = cli("pin", "--run-dir", run, "--card", card, "--queue")
    assert pin.exit_code == 0 and card_pin(up.run_dir / "deck", card) not in pin.output
    deadline = time.monotonic() + 5  # pcscd notices a vpcd card within its 400 ms poll
    while not (status := json.loads(cli("status", "--run-dir", run).output))["agent"]["reader"]["card_present"]:
        assert time.monotonic() < deadline, status
        time.sleep(0.1)
    assert status["agent"]["printer"]["online"] and status["card_emulator"]["slots"][0]["card_number"] == card
    assert cli("receipts", "--run-dir", run).output == ""
    assert cli("pin", "--run-dir", run, "--digits", "1", "--cancel").exit_code == 2  # one at a time

    up.proc.send_signal(signal.SIGINT)
    assert up.proc.wait(timeout=30) == 0
    assert "stopped / dihentikan" in up.text()
    assert all(gone(pid) for pid in up.pids)
    assert not (up.run_dir / STACK_FILE).exists()
    refused = cli("status", "--run-dir", run)
    assert refused.exit_code == 1 and "No device stack is running" in refused.output


@pytest.mark.slow
def test_a_crashed_device_stops_the_stack(up: Up) -> None:
    os.kill(up.described["pids"]["printer emulator"], signal.SIGKILL)
    assert up.proc.wait(timeout=30) == EXIT_CRASHED
    assert "printer emulator ended unexpectedly" in up.text()
    assert all(gone(pid) for pid in up.pids)


@pytest.mark.slow
def test_killing_up_itself_takes_its_children_along(up: Up) -> None:
    up.proc.kill()
    up.proc.wait(timeout=10)
    assert all(gone(pid, timeout=10) for pid in up.pids)


def test_kiosk_devices_is_a_kiosk_command() -> None:
    from kiosk.cli import cli as kiosk_cli

    result = CliRunner().invoke(kiosk_cli, ["devices", "--help"])
    assert result.exit_code == 0 and "up" in result.output and "receipts" in result.output
