"""`make demo`'s command, end to end: every process starts, a farmer one month behind swipes and
pays contribution and fertilizer through the demo's own web app, worker, agent and BPJS sandbox,
and Ctrl-C stops everything."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from kiosk.devstack.controls import CardControl, PinPadControl
from kiosk.devstack.deck import card_pin

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait(url: str, proc: subprocess.Popen[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert proc.poll() is None, "the demo exited early"
        assert time.monotonic() < deadline, "the demo never served its login page"
        time.sleep(0.3)


def test_demo_runs_a_whole_swipe_and_stops_cleanly(tmp_path: Path) -> None:
    port, data = _free_port(), tmp_path / "demo"
    closers: list = []  # type: ignore[type-arg]
    proc = subprocess.Popen([str(ROOT / ".venv/bin/kiosk"), "demo", "--data", str(data), "--port", str(port), "--farmers", "400"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        _wait(f"http://127.0.0.1:{port}/login", proc)
        assert "Masuk" in httpx.get(f"http://127.0.0.1:{port}/login").text
        state = json.loads((data / "demo.json").read_text())
        stack = json.loads((data / "run" / "stack.json").read_text())
        env = {**os.environ, "KIOSK_ENV": "demo", "KIOSK_INSTANCE_PATH": str(data),
               "DATABASE_URL": f"sqlite:///{data / 'kiosk.sqlite3'}"}
        token = subprocess.run([str(ROOT / ".venv/bin/kiosk"), "token", "create", "demo-test", "--role", "operator",
                                "--kiosk", state["kiosk"]], env=env, capture_output=True, text=True, check=True).stdout.strip()
        card = next(number for number, standing in state["deck"] if standing == "one_behind")
        CardControl(stack["card_emulator"]["control"]).insert(card)
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=20)
        closers.append(http.close)
        deadline = time.monotonic() + 20
        while not http.get("/api/v1/devices/status").json()["agent"]["reader"]["card_present"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        cid = http.post("/api/v1/checkouts", headers={"Idempotency-Key": f"demo-{uuid.uuid4()}"}).json()["id"]
        body: dict = {"state": "created", "version": -1, "final": False}  # type: ignore[type-arg]
        while body["state"] != "decided" and not body["final"]:
            body = http.get(f"/api/v1/checkouts/{cid}", params={"after": body["version"], "wait": 2}).json()
        assert body["state"] == "decided" and body["decision"]["contribution"]["amount"] == 16_800
        PinPadControl(stack_pinpad(stack)).queue_pin(card_pin(data / "deck", card))
        http.post(f"/api/v1/checkouts/{cid}/confirm", json={"lines": [{"product": "UREA", "kg": 50}], "tender": "card"},
                  headers={"Idempotency-Key": f"demo-c-{uuid.uuid4()}"})
        while not body["final"]:
            body = http.get(f"/api/v1/checkouts/{cid}", params={"after": body["version"], "wait": 2}).json()
        assert body["state"] == "completed", body
    finally:
        for close in closers:
            close()
        os.killpg(proc.pid, signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output[-2000:]
    assert "stopping everything" in output and "operator-sutasoma" in output
    leftovers = subprocess.run(["pgrep", "-f", str(data)], capture_output=True, text=True).stdout.split()
    assert leftovers == [], f"processes left running: {leftovers}"


def stack_pinpad(stack: dict) -> str:  # type: ignore[type-arg]
    return str(stack["pinpad"]["control"])
