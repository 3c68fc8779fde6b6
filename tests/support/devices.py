"""Emulated devices as real processes, for tests, benchmarks and the checkout tests: thin wrappers
over :mod:`kiosk.devstack` (the demo starts the same processes the same way).

* :class:`IssuerKit`: an issuer key pair and a deck folder; ``issue()`` makes a fresh card image.
* :class:`CardEmulatorProcess`: ``python -m firmware_stubs.card serve`` on a private pcscd's vpcd ports.
* :class:`PtyPair` (socat) and :class:`PinPadProcess`: ``python -m firmware_stubs.pinpad serve``.
* :class:`AgentProcess`: ``kiosk agent run`` with its token, reader, PIN pad (and printer).

Every process is started in its own session and stopped (SIGTERM, then SIGKILL) by its owner.
The pytest fixtures at the end compose them; import the ones you need into your test module or
conftest (``from tests.support.devices import card_emulator, issuer_kit  # noqa: F401``).
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from firmware_stubs.personalise import (
    FarmerCard,
    issue_card,
    load_issuer_key,
    make_issuer_key,
)
from kiosk.cards import load_issuer_keys
from kiosk.devstack import agent as devstack_agent
from kiosk.devstack import emulators
from tests.support.pcsc import PrivatePcscd, shared_pcscd, wait_until_empty

_card_numbers = itertools.count(1)


class _TempLogs:
    """A log folder for a process started without a run folder; removed when it stops."""

    def __init__(self, name: str) -> None:
        self.log_dir = Path(tempfile.mkdtemp(prefix=f"kiosk-{name}-"))

    def drop_logs(self) -> None:
        shutil.rmtree(self.log_dir, ignore_errors=True)


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


class CardEmulatorProcess(emulators.CardEmulator, _TempLogs):
    """The card emulator on ``pcscd``'s two vpcd ports; ``control`` is its control URL."""

    def __init__(self, deck: Path, pcscd: PrivatePcscd, max_answer: int = 256) -> None:
        _TempLogs.__init__(self, "card")
        super().__init__(deck, pcscd.vpcd_endpoints, log_path=self.log_dir / "card.log", max_answer=max_answer)
        self.start()
        self.control = self.control_url

    def insert(self, card_number: str, slot: int = 0) -> dict[str, Any]:
        return self.client.insert(card_number, slot)

    def remove(self, slot: int = 0) -> dict[str, Any]:
        return self.client.remove(slot)

    def remove_all(self) -> None:
        """Remove every card and wait until pcscd has seen them go."""
        for slot in self.status()["slots"]:
            if slot["card_number"]:
                self.remove(slot["slot"])
        wait_until_empty()

    def status(self) -> dict[str, Any]:
        return self.client.status()

    def card_state(self, card_number: str) -> dict[str, Any]:
        return self.client.card_state(card_number)

    def stop(self) -> None:
        super().stop()
        self.drop_logs()


# ---- PIN pad -----------------------------------------------------------------------------


class PtyPair(emulators.PtyPair):
    """``socat`` joining two ptys: ``pad`` (the emulator's end) and ``host`` (the driver's end)."""

    def __init__(self, root: Path) -> None:
        root = Path(root)
        super().__init__(root / "pinpad-pad", root / "pinpad-host", log_path=root / "logs" / "pinpad-link.log")
        self.pad = self.device
        self.start()


class PinPadProcess(emulators.PinPadEmulator, _TempLogs):
    def __init__(self, link: Path) -> None:
        _TempLogs.__init__(self, "pinpad")
        super().__init__(link, log_path=self.log_dir / "pinpad.log")
        self.start()
        self.control = self.control_url

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.client.call("POST", path, body)

    def queue_pin(self, pin: str, delay_s: float = 0.0) -> None:
        self.client.queue_pin(pin, delay_s)

    def queue(self, action: str) -> None:
        self.client.queue(action)

    def faults(self, **counts: Any) -> None:
        self.client.faults(**counts)

    def reset(self) -> None:
        self.client.reset()

    def status(self) -> dict[str, Any]:
        return self.client.status()

    def stop(self) -> None:
        super().stop()
        self.drop_logs()


# ---- the agent ---------------------------------------------------------------------------


class AgentProcess(devstack_agent.AgentProcess, _TempLogs):
    """``kiosk agent run`` on ``reader``, the PIN pad and (when given) the printer; ``url``, ``token``."""

    def __init__(self, pcscd: PrivatePcscd, root: Path, reader: str = "0", pinpad: Path | None = None,
                 printer: Path | None = None, print_retry_s: float = 2.0) -> None:
        _TempLogs.__init__(self, "agent")
        options = devstack_agent.AgentOptions(reader=reader, pinpad=pinpad, printer=printer,
                                              print_queue=Path(root) / "print-queue", print_retry_s=print_retry_s)
        super().__init__(options, token_file=Path(root) / f"agent-token-{os.urandom(4).hex()}",
                         log_path=self.log_dir / "agent.log", pcscd_env=pcscd.env)
        self.start()

    def stop(self) -> None:
        super().stop()
        self.drop_logs()


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
