"""Money tests. End-to-end ones (``world``) run on the real stack as the checkout's do: a private
pcscd, the card emulator with the demo population's cards, PIN pad and printer on ptys, the device
agent (retrying queued receipts every 0.2 s), a BPJS sandbox process per test, and a freshly seeded
database per test on SQLite and PostgreSQL. Database-level ones (``small``) seed a small kiosk
through the product's services, without devices."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fertilizer.generator import GeneratorConfig, write_csvs
from kiosk.devstack import DeviceStack
from kiosk.devstack.deck import ensure_issuer
from tests.money.small import SmallKiosk, small_kiosk
from tests.support.bpjs import SandboxHandle, running_sandbox
from tests.support.kiosk_stack import (
    POPULATION,
    DemoFarmer,
    KioskWorld,
    demo_population,
    kiosk_world,
    population_deck,
    today_wita,
)

PRINT_RETRY_S = 0.2


@pytest.fixture(scope="session")
def population_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_csvs(GeneratorConfig(farmers=POPULATION, as_of=today_wita()), tmp_path_factory.mktemp("population"))


@pytest.fixture(scope="session")
def population() -> list[DemoFarmer]:
    return demo_population()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, population_files: dict[str, Path]) -> Iterator[DeviceStack]:
    root = tmp_path_factory.mktemp("money-stack")
    keys, deck = root / "issuer", root / "deck"
    keys.mkdir()
    ensure_issuer(keys)
    population_deck(deck, keys, population_files["cards"])
    with DeviceStack(root / "run", deck, issuer_keys_dir=keys, print_retry_s=PRINT_RETRY_S) as running:
        yield running


@pytest.fixture
def bpjs(tmp_path: Path, population_files: dict[str, Path]) -> Iterator[SandboxHandle]:
    with running_sandbox(tmp_path / "bpjs", seed=population_files["bpjs"]) as host:
        yield host


@pytest.fixture
def world(db_url: str, tmp_path: Path, stack: DeviceStack, bpjs: SandboxHandle) -> Iterator[KioskWorld]:
    stack.remove_card(wait=True)
    if stack.printer is not None and not stack.printer.alive:
        stack.printer.start()
    stack.printer_control.reset()
    with kiosk_world(db_url, tmp_path / "kiosk", stack, bpjs, tmp_path / "seed") as w:
        yield w


@pytest.fixture
def small(db_url: str, tmp_path: Path) -> Iterator[SmallKiosk]:
    with small_kiosk(db_url, tmp_path) as kiosk:
        yield kiosk
