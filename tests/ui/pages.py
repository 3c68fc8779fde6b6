"""Helpers for the browser tests of the operator, supervisor and status pages (real stack)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

import ledger
from kiosk.auth import create_user
from kiosk.db import get_db
from kiosk.models import Role
from tests.support.browser import (
    axe_violations,
    fits_one_screen,
    login,
    screenshot,
    small_targets,
)
from tests.support.kiosk_stack import PASSWORD, DemoFarmer, KioskWorld


def make_user(world: KioskWorld, role: Role, kiosk: str | None = None) -> str:
    username = f"{role.value[:3]}-{(kiosk or 'x').lower()}-{uuid.uuid4().hex[:6]}"
    with world.app.app_context(), get_db().sessions.begin() as s:
        create_user(s, world.app.extensions["kiosk.hasher"], username=username, password=PASSWORD, role=role,
                    kiosk_code=kiosk)
    return username


def operator_page(page: Any, base: str, world: KioskWorld, farmer: DemoFarmer, kiosk: str | None = None) -> str:
    """Log in as an operator of the farmer's kiosk (or ``kiosk``) and wait for the idle screen."""
    username = make_user(world, Role.OPERATOR, kiosk or world.kiosk_of(farmer))
    login(page, base, username, PASSWORD)
    page.wait_for_url(f"{base}/operator")
    page.locator("#screen-idle").wait_for(state="visible")
    page.locator("#reader-state.out").wait_for()  # the card loop has asked the agent
    return username


def checked(page: Any, name: str) -> None:
    """Screenshot, axe-core (no serious or critical findings) and touch targets of the page as shown."""
    screenshot(page, name)
    assert axe_violations(page) == [], name
    assert small_targets(page) == [], name


def assert_one_screen(page: Any, what: str) -> None:
    assert fits_one_screen(page), f"{what} needs scrolling at {page.viewport_size}"


def journal_state(world: KioskWorld, journal_id: str) -> ledger.JournalState:
    with world.session() as s:
        found = ledger.journal(s, uuid.UUID(journal_id))
        assert found is not None, journal_id
        return found.state


def rupiah(amount: int) -> str:
    return f"Rp {amount:,}".replace(",", ".")


def wait_decided(page: Any) -> None:
    """The farmer panel and the selection are on screen, with the quota table filled."""
    page.locator("#screen-decided").wait_for(state="visible", timeout=30_000)
    page.locator("#quota-rows tr").first.wait_for()


def focus_is_visible(page: Any) -> bool:
    """The focused element draws a focus ring (an outline of at least 2 px)."""
    style = page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                          " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }")
    return bool(style[0] != "none" and style[1] >= 2)


def resume_like_the_worker(world: KioskWorld) -> int:
    """What the worker's resume job does, once, with every back-off elapsed."""
    from kiosk.checkout import runner
    from kiosk.checkout.schema import CheckoutRow
    from kiosk.wiring import checkout_deps

    deadline = time.monotonic() + 10
    while True:  # the web process's runner shows a state a moment before it lets go of its lease
        with world.session() as s:
            rows = list(s.scalars(sa.select(CheckoutRow)))
            now = datetime.now(timezone.utc)
            if all(row.lease_until is None or row.lease_until < now for row in rows) or time.monotonic() > deadline:
                for row in rows:
                    row.next_attempt_at = None
                s.commit()
                break
        time.sleep(0.05)
    with world.app.app_context():
        return runner.resume_due(checkout_deps(), "worker:test")
