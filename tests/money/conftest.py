"""Money tests. End-to-end ones (``world``) run on the real stack as the checkout's do: a private
pcscd, the card emulator with the demo population's cards, PIN pad and printer on ptys, the device
agent (retrying queued receipts every 0.2 s), a BPJS sandbox process per test, and a freshly seeded
database per test on SQLite and PostgreSQL. Database-level ones (``small``) seed a small kiosk
through the product's services, without devices."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.devstack import DeviceStack
from tests.money.small import SmallKiosk, small_kiosk
from tests.support.bpjs import SandboxHandle
from tests.support.kiosk_stack import KioskWorld, kiosk_world
from tests.support.stack_fixtures import population_stack

PRINT_RETRY_S = 0.2


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, population_files: dict[str, Path]) -> Iterator[DeviceStack]:
    with population_stack(tmp_path_factory, population_files, "money-stack", print_retry_s=PRINT_RETRY_S) as running:
        yield running


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
