"""End-to-end checkout fixtures: one device stack for the session (private pcscd, card emulator
with the demo population's cards, PIN pad and printer on ptys, device agent), and per test a BPJS
sandbox process and a freshly seeded kiosk database on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fertilizer.generator import GeneratorConfig, write_csvs
from kiosk.devstack import DeviceStack
from kiosk.devstack.deck import ensure_issuer
from tests.support.bpjs import running_sandbox, SandboxHandle
from tests.support.kiosk_stack import POPULATION, DemoFarmer, KioskWorld, demo_population, kiosk_world, population_deck, today_wita


@pytest.fixture(scope="session")
def population_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_csvs(GeneratorConfig(farmers=POPULATION, as_of=today_wita()), tmp_path_factory.mktemp("population"))


@pytest.fixture(scope="session")
def population() -> list[DemoFarmer]:
    return demo_population()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, population_files: dict[str, Path]) -> Iterator[DeviceStack]:
    root = tmp_path_factory.mktemp("stack")
    keys, deck = root / "issuer", root / "deck"
    keys.mkdir()
    ensure_issuer(keys)
    population_deck(deck, keys, population_files["cards"])
    with DeviceStack(root / "run", deck, issuer_keys_dir=keys) as running:
        yield running


@pytest.fixture
def bpjs(tmp_path: Path, population_files: dict[str, Path]) -> Iterator[SandboxHandle]:
    with running_sandbox(tmp_path / "bpjs", seed=population_files["bpjs"]) as host:
        yield host


@pytest.fixture
def world(db_url: str, tmp_path: Path, stack: DeviceStack, bpjs: SandboxHandle) -> Iterator[KioskWorld]:
    stack.remove_card(wait=True)
    with kiosk_world(db_url, tmp_path / "kiosk", stack, bpjs, tmp_path / "seed") as w:
        yield w
