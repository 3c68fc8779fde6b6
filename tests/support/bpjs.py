"""The BPJS sandbox host as a real subprocess, for tests (bpjs_link's own and the checkout's).

    with running_sandbox(tmp_path, seed="demo") as host:
        with host.client() as bpjs:
            bpjs.inquire(DEMO["two_behind"])
        host.fault("payment", "commit-then-drop")     # the next payment is booked, its answer lost

The sandbox listens on a free loopback port (``--port 0``; it announces the port on stdout), keeps
its SQLite in a temporary folder, and is stopped (SIGTERM, then SIGKILL) when the block ends.
"""

from __future__ import annotations

import csv
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bpjs_link import BpjsClient, BpjsConfig, Month, PartnerKeyFiles, generate_partner_keys

ROOT = Path(__file__).resolve().parents[2]
PARTNER_ID = "KIOSK-SOPPENG-01"
DEMO = {  # the NIKs of `--seed demo` (bpjs_link.sandbox.seed.demo)
    "paid_up": "7312011705800001", "one_behind": "7312015203850002", "two_behind": "7312020808700003",
    "inactive": "7312034101750004", "paid_ahead": "7312042512820005", "unregistered": "7312014107900006",
}


@dataclass(frozen=True)
class SeedFarmer:
    nik: str
    name: str
    birth_date: str
    kpj: str
    paid_through: Month
    status: str = "active"


def farmers(count: int, paid_through: Month, *, start: int = 1, status: str = "active") -> list[SeedFarmer]:
    """``count`` registered farmers with distinct NIKs and KPJs (serials ``start``..)."""
    return [SeedFarmer(f"731205010180{i:04d}", f"Petani {i}", "1980-01-01", f"2699{i:07d}", paid_through, status)
            for i in range(start, start + count)]


def write_seed(path: Path, rows: Sequence[SeedFarmer]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["nik", "name", "birth_date", "kpj", "paid_through", "status"])
        for r in rows:
            w.writerow([r.nik, r.name, r.birth_date, r.kpj, str(r.paid_through), r.status])
    return path


class SandboxHandle:
    def __init__(self, process: subprocess.Popen[bytes], base_url: str, data_dir: Path, keys: PartnerKeyFiles, log: Path) -> None:
        self.process = process
        self.base_url = base_url
        self.data_dir = data_dir
        self.keys = keys
        self.log = log
        self.partner_id = PARTNER_ID
        self._admin = httpx.Client(base_url=base_url, timeout=10)

    def config(self, **overrides: Any) -> BpjsConfig:
        return BpjsConfig.from_file(self.keys.client_config, base_url=self.base_url, **overrides)

    def client(self, **overrides: Any) -> BpjsClient:
        return BpjsClient(self.config(**overrides))

    def admin(self, method: str, path: str, json: Any = None) -> Any:
        response = self._admin.request(method, f"/_sandbox{path}", json=json)
        response.raise_for_status()
        return response.json()

    def fault(self, service: str, fault: str, count: int = 1, latency_ms: int = 0) -> None:
        self.admin("POST", "/faults", {"service": service, "fault": fault, "count": count, "latencyMs": latency_ms})

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("GET", "/state")
        return result

    def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("GET", "/stats")
        return result

    def deposit(self) -> int:
        return int(self.state()["deposits"][self.partner_id])

    def set_deposit(self, balance: int) -> None:
        self.admin("POST", "/deposit", {"partnerId": self.partner_id, "balance": balance})

    def paid_elsewhere(self, nik: str, months: int = 1) -> Month:
        return Month.parse(self.admin("POST", "/paid-elsewhere", {"nik": nik, "months": months})["paidThrough"])

    def participant(self, nik: str) -> dict[str, Any]:
        result: dict[str, Any] = self.admin("GET", f"/participants/{nik}")
        return result

    def expire_tokens(self) -> None:
        self.admin("POST", "/tokens/expire")

    def stop(self) -> None:
        self._admin.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def _announced_port(process: subprocess.Popen[bytes], log: Path, timeout: float) -> int:
    if process.stdout is None:
        raise RuntimeError("the sandbox must be started with stdout=PIPE")
    deadline = time.monotonic() + timeout
    buffer = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if ready:
            chunk = os.read(process.stdout.fileno(), 4096)
            buffer += chunk
            if b"listening on http://" in buffer and b"\n" in buffer.split(b"listening on http://", 1)[1]:
                address = buffer.split(b"listening on http://", 1)[1].split(b"\n", 1)[0].decode()
                return int(address.rsplit(":", 1)[1])
            if not chunk and process.poll() is not None:
                break
        elif process.poll() is not None:
            break
    raise RuntimeError(f"BPJS sandbox did not start (exit {process.poll()}): {log.read_text(errors='replace')[-2000:]}")


def _wait_healthy(base_url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base_url}/_sandbox/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("BPJS sandbox does not answer on /_sandbox/health")
        time.sleep(0.05)


@contextmanager
def running_sandbox(workdir: Path, *, seed: str | Path | None = "demo", args: Sequence[str] = (),
                    keys: PartnerKeyFiles | None = None, startup_timeout: float = 30.0) -> Iterator[SandboxHandle]:
    """Start ``python -m bpjs_link.sandbox`` with ``args`` (e.g. ``["--window-s", "3"]``); stop it after."""
    workdir.mkdir(parents=True, exist_ok=True)
    keys = keys or generate_partner_keys(workdir / "keys", partner_id=PARTNER_ID)
    data_dir = workdir / "data"
    log = workdir / "sandbox.log"
    cmd = [sys.executable, "-m", "bpjs_link.sandbox", "--port", "0", "--data", str(data_dir), "--partner", str(keys.host_partner)]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    with log.open("wb") as err:
        process = subprocess.Popen([*cmd, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
    handle: SandboxHandle | None = None
    try:
        port = _announced_port(process, log, startup_timeout)
        base_url = f"http://127.0.0.1:{port}"
        _wait_healthy(base_url, startup_timeout)
        handle = SandboxHandle(process, base_url, data_dir, keys, log)
        yield handle
    finally:
        if handle is not None:
            handle.stop()
        elif process.poll() is None:
            process.kill()
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()
