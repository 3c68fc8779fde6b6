"""The browser (``browser``, ``page``) comes from tests/support/browser_fixtures.py; for the
end-to-end pages the real kiosk (tests/support/kiosk_stack.py): one device stack per session
(private pcscd, card emulator with the demo population's cards, PIN pad and printer on ptys, device
agent), and per test a BPJS sandbox process and a freshly seeded database on each backend, served
by a live server with CSRF on, as in production."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.devstack import DeviceStack
from tests.support.bpjs import SandboxHandle
from tests.support.browser import live_server
from tests.support.kiosk_stack import KioskWorld, kiosk_world
from tests.support.stack_fixtures import population_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, population_files: dict[str, Path]) -> Iterator[DeviceStack]:
    with population_stack(tmp_path_factory, population_files, "ui-stack") as running:
        yield running


@pytest.fixture
def world_settings() -> dict[str, Any]:
    """Settings overrides for the world (a test module may override this fixture)."""
    return {}


@pytest.fixture
def world(db_url: str, tmp_path: Path, stack: DeviceStack, bpjs: SandboxHandle,
          world_settings: dict[str, Any]) -> Iterator[KioskWorld]:
    stack.remove_card(wait=True)
    stack.pinpad_control.reset()  # no PIN typed for an earlier test is left on the pad
    with kiosk_world(db_url, tmp_path / "kiosk", stack, bpjs, tmp_path / "seed", overrides=world_settings) as w:
        w.app.config["WTF_CSRF_ENABLED"] = True  # the pages must send their CSRF tokens
        yield w
    stack.remove_card(wait=True)


@pytest.fixture
def base_url(world: KioskWorld) -> Iterator[str]:
    with live_server(world.app) as url:
        yield url
