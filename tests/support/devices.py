"""Emulated devices as real processes, for tests, benchmarks and (later) the checkout tests.

* :class:`IssuerKit`: an issuer key pair and a deck folder; ``issue()`` makes a fresh card image.
* :class:`CardEmulatorProcess`: ``python -m firmware_stubs.card serve`` on a private pcscd's vpcd ports.
* :class:`PtyPair` (socat) and :class:`PinPadProcess`: ``python -m firmware_stubs.pinpad serve``.
* :class:`AgentProcess`: ``kiosk agent run`` with its token, reader and PIN pad.

Every process is started in its own session and stopped (SIGTERM, then SIGKILL) by its owner.
The pytest fixtures at the end compose them; import the ones you need into your test module or
conftest (``from tests.support.devices import card_emulator, issuer_kit  # noqa: F401``).
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from firmware_stubs.personalise import FarmerCard, issue_card, load_issuer_key, make_issuer_key
from kiosk.cards import load_issuer_keys
from tests.support.pcsc import PrivatePcscd, shared_pcscd, wait_until_empty

READY_TIMEOUT_S = 20.0
_card_numbers = itertools.count(1)


class Process:
    """A child process that prints one JSON ``ready`` line on stdout."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None, log_path: Path | None = None) -> None:
        self.argv = argv
        self._own_log = log_path is None
        if log_path is None:
            fd, name = tempfile.mkstemp(prefix="kiosk-proc-", suffix=".log")
            os.close(fd)
            log_path = Path(name)
        self.log_path = log_path
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                                         env={**os.environ, **(env or {})}, start_new_session=True)
        self.ready = self._wait_ready()

    def _wait_ready(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        line = b""
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            readable, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if readable:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                line += chunk
        if not line.endswith(b"\n"):
            log = self.log_text()[-2000:]
            self.stop()
            raise RuntimeError(f"{self.argv[:4]} did not get ready; log: {log}")
        ready: dict[str, Any] = json.loads(line.splitlines()[0])
        return ready

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        if self._own_log:
            self.log_path.unlink(missing_ok=True)


# ---- cards -------------------------------------------------------------------------------


@dataclass
class IssuedCard:
    card_number: str
    pin: str = field(repr=False)
    nik: str = field(repr=False)
    path: Path


class IssuerKit:
    """An issuer (key pair) and a deck of card images in ``root``."""

    def __init__(self, root: Path, issuer_id: str = "BRI-7312") -> None:
        self.root = Path(root)
        self.keys_dir = self.root / "issuers"
        self.deck = self.root / "deck"
        self.deck.mkdir(parents=True, exist_ok=True)
        self.private_path, self.public_path = make_issuer_key(self.keys_dir, issuer_id)
        self.issuer_id, self.private_key = load_issuer_key(self.private_path)

    @property
    def public_keys(self) -> dict[str, ec.EllipticCurvePublicKey]:
        return load_issuer_keys(self.keys_dir)

    def issue(self, pin: str = "123456", expiry: date = date(2030, 12, 31), name: str = "La Baco bin La Tenri",
              card_number: str | None = None) -> IssuedCard:
        n = next(_card_numbers)
        number = card_number or f"6013{os.getpid() % 10**6:06d}{n:06d}"
        nik = f"7312{n:012d}"
        card = FarmerCard(number, nik, name, date(1980, 1, 1), "7312010001", "KT-SIPAKAINGE", expiry, pin)
        image = issue_card(card, self.issuer_id, self.private_key, self.deck)
        return IssuedCard(number, pin, nik, image.path)


class CardEmulatorProcess(Process):
    def __init__(self, deck: Path, pcscd: PrivatePcscd, max_answer: int = 256) -> None:
        argv = [sys.executable, "-m", "firmware_stubs.card", "serve", "--deck", str(deck),
                "--max-answer", str(max_answer), "--log-level", "INFO"]
        for endpoint in pcscd.vpcd_endpoints:
            argv += ["--vpcd", endpoint]
        super().__init__(argv, pcscd.env)
        self.control = str(self.ready["control"])

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(self.control + path, json=body, timeout=10)
        out: dict[str, Any] = response.json()
        if response.status_code != 200:
            raise RuntimeError(f"emulator {path}: {out}")
        return out

    def insert(self, card_number: str, slot: int = 0) -> dict[str, Any]:
        return self._post("/insert", {"card_number": card_number, "slot": slot})

    def remove(self, slot: int = 0) -> dict[str, Any]:
        return self._post("/remove", {"slot": slot})

    def remove_all(self) -> None:
        """Remove every card and wait until pcscd has seen them go."""
        for slot in self.status()["slots"]:
            if slot["card_number"]:
                self.remove(slot["slot"])
        wait_until_empty()

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = httpx.get(self.control + "/status", timeout=10).json()
        return out

    def card_state(self, card_number: str) -> dict[str, Any]:
        cards = httpx.get(self.control + "/cards", timeout=10).json()["cards"]
        return next(c for c in cards if c["card_number"] == card_number)


# ---- PIN pad -----------------------------------------------------------------------------


class PtyPair:
    """``socat`` joining two ptys: ``pad`` (the emulator's end) and ``host`` (the driver's end)."""

    def __init__(self, root: Path) -> None:
        self.pad, self.host = Path(root) / "pinpad-pad", Path(root) / "pinpad-host"
        if shutil.which("socat") is None:
            raise RuntimeError("socat is not installed (scripts/bootstrap installs it)")
        self.proc = subprocess.Popen(
            ["socat", f"pty,raw,echo=0,link={self.pad}", f"pty,raw,echo=0,link={self.host}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 5
        while not (self.pad.exists() and self.host.exists()):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("socat did not create the pty pair")
            time.sleep(0.01)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=5)


class PinPadProcess(Process):
    def __init__(self, link: Path) -> None:
        super().__init__([sys.executable, "-m", "firmware_stubs.pinpad", "serve", "--port-link", str(link)])
        self.control = str(self.ready["control"])

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = httpx.post(self.control + path, json=body, timeout=10).json()
        return out

    def queue_pin(self, pin: str, delay_s: float = 0.0) -> None:
        self._post("/queue", {"pin": pin, "delay_s": delay_s})

    def queue(self, action: str) -> None:
        self._post("/queue", {"action": action})

    def faults(self, **counts: Any) -> None:
        self._post("/faults", counts)

    def reset(self) -> None:
        self._post("/reset", {})

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = httpx.get(self.control + "/status", timeout=10).json()
        return out


# ---- the agent ---------------------------------------------------------------------------


class AgentProcess(Process):
    def __init__(self, pcscd: PrivatePcscd, root: Path, reader: str = "0", pinpad: Path | None = None) -> None:
        self.token = secrets.token_urlsafe(32)
        token_file = Path(root) / f"agent-token-{secrets.token_hex(4)}"
        token_file.write_text(self.token)
        token_file.chmod(0o600)
        argv = [str(Path(sys.executable).parent / "kiosk"), "agent", "run", "--listen", "127.0.0.1:0", "--reader", reader,
                "--token-file", str(token_file)]
        if pinpad is not None:
            argv += ["--pinpad", str(pinpad)]
        env = {**pcscd.env, "KIOSK_AGENT_TOKEN": ""}
        super().__init__(argv, env)
        self.url = str(self.ready["url"])


def wait_for(predicate: Any, timeout: float = 5.0, interval: float = 0.02) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(interval)


# ---- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pcscd() -> Iterator[PrivatePcscd]:
    with shared_pcscd() as daemon:
        yield daemon


@pytest.fixture
def pcscd_running(pcscd: PrivatePcscd) -> PrivatePcscd:
    """The private pcscd, started again if a test stopped it."""
    pcscd.start()
    return pcscd


@pytest.fixture(scope="session")
def issuer_kit(tmp_path_factory: pytest.TempPathFactory) -> IssuerKit:
    return IssuerKit(tmp_path_factory.mktemp("issuer"))


@pytest.fixture(scope="session")
def card_emulator_process(issuer_kit: IssuerKit, pcscd: PrivatePcscd) -> Iterator[CardEmulatorProcess]:
    emulator = CardEmulatorProcess(issuer_kit.deck, pcscd)
    yield emulator
    emulator.stop()


@pytest.fixture
def card_emulator(card_emulator_process: CardEmulatorProcess, pcscd_running: PrivatePcscd) -> Iterator[CardEmulatorProcess]:
    """The emulator with empty slots; cards inserted by the test are removed after it."""
    card_emulator_process.remove_all()
    yield card_emulator_process
    card_emulator_process.remove_all()


@pytest.fixture(scope="session")
def pty_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PtyPair]:
    pair = PtyPair(tmp_path_factory.mktemp("pty"))
    yield pair
    pair.stop()


@pytest.fixture(scope="session")
def pinpad_process(pty_pair: PtyPair) -> Iterator[PinPadProcess]:
    pad = PinPadProcess(pty_pair.pad)
    yield pad
    pad.stop()


@pytest.fixture
def pinpad(pinpad_process: PinPadProcess) -> PinPadProcess:
    """The PIN pad emulator with an empty queue and no faults."""
    pinpad_process.reset()
    return pinpad_process


@pytest.fixture
def agent(pcscd_running: PrivatePcscd, card_emulator: CardEmulatorProcess, pinpad: PinPadProcess,
          pty_pair: PtyPair, tmp_path: Path) -> Iterator[AgentProcess]:
    """``kiosk agent run`` on reader 0 and the emulated PIN pad."""
    process = AgentProcess(pcscd_running, tmp_path, reader="0", pinpad=pty_pair.host)
    yield process
    process.stop()
