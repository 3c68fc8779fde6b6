"""The real kiosk stack for the end-to-end tests (tests/checkout, tests/money, tests/ui): the demo
population's files once per test session, a BPJS sandbox process per test seeded with its
participants, and :func:`population_stack` for each folder's own session device stack (private
pcscd, card emulator with the population's cards, PIN pad and printer on ptys, device agent).
Registered for the whole suite by ``pytest_plugins`` in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from fertilizer.generator import GeneratorConfig, write_csvs
from kiosk.devstack import DeviceStack
from kiosk.devstack.deck import ensure_issuer
from tests.support.bpjs import SandboxHandle, running_sandbox
from tests.support.kiosk_stack import POPULATION, DemoFarmer, demo_population, population_deck, today_wita


@pytest.fixture(scope="session")
def population_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_csvs(GeneratorConfig(farmers=POPULATION, as_of=today_wita()), tmp_path_factory.mktemp("population"))


@pytest.fixture(scope="session")
def population() -> list[DemoFarmer]:
    return demo_population()


@pytest.fixture
def bpjs(tmp_path: Path, population_files: dict[str, Path]) -> Iterator[SandboxHandle]:
    with running_sandbox(tmp_path / "bpjs", seed=population_files["bpjs"]) as host:
        yield host


@contextmanager
def population_stack(tmp_path_factory: pytest.TempPathFactory, population_files: dict[str, Path], name: str,
                     **options: Any) -> Iterator[DeviceStack]:
    """A device stack whose card emulator holds the population's cards (``options`` go to DeviceStack)."""
    root = tmp_path_factory.mktemp(name)
    keys, deck = root / "issuer", root / "deck"
    keys.mkdir()
    ensure_issuer(keys)
    population_deck(deck, keys, population_files["cards"])
    with DeviceStack(root / "run", deck, issuer_keys_dir=keys, **options) as running:
        yield running
