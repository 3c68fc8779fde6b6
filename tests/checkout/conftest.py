"""End-to-end checkout fixtures: one device stack for the session (private pcscd, card emulator
with the demo population's cards, PIN pad and printer on ptys, device agent), and per test a BPJS
sandbox process (tests/support/stack_fixtures.py) and a freshly seeded kiosk database on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.devstack import DeviceStack
from tests.support.bpjs import SandboxHandle
from tests.support.kiosk_stack import KioskWorld, kiosk_world
from tests.support.stack_fixtures import population_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, population_files: dict[str, Path]) -> Iterator[DeviceStack]:
    with population_stack(tmp_path_factory, population_files, "stack") as running:
        yield running


@pytest.fixture
def world(db_url: str, tmp_path: Path, stack: DeviceStack, bpjs: SandboxHandle) -> Iterator[KioskWorld]:
    stack.remove_card(wait=True)
    with kiosk_world(db_url, tmp_path / "kiosk", stack, bpjs, tmp_path / "seed") as w:
        yield w
