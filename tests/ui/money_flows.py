"""Helpers of the money pages' browser tests: a sale made through the real API (card, PIN pad,
BPJS sandbox), ledger figures read straight from the ledger, and a second person's browser page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import fertilizer
import ledger
from kiosk.wiring import services
from tests.support.browser import KIOSK_VIEWPORT, login, watch
from tests.support.kiosk_stack import PASSWORD, DemoFarmer, KioskWorld, wait_receipt


def sale(world: KioskWorld, farmer: DemoFarmer, lines: dict[str, int], tender: str = "card") -> dict[str, Any]:
    """A completed checkout of ``farmer`` at their kiosk (PIN typed on the emulated pad), receipt printed.

    Made through the API with the test client, which sends no CSRF token: CSRF is off meanwhile (the
    pages under test are then used with it on)."""
    world.app.config["WTF_CSRF_ENABLED"] = False
    try:
        return _sale(world, farmer, lines, tender)
    finally:
        world.app.config["WTF_CSRF_ENABLED"] = True


def _sale(world: KioskWorld, farmer: DemoFarmer, lines: dict[str, int], tender: str) -> dict[str, Any]:
    client, checkout = world.swipe(farmer)
    allowed = {a["product"]: a["max_kg"] for a in checkout["decision"]["allowed"]}
    lines = {p: min(kg, allowed[p]) for p, kg in lines.items() if allowed.get(p)}
    assert lines, f"the farmer may buy none of {lines}: {allowed}"
    assert world.confirm(client, checkout["id"], lines, tender, pin=farmer.pin).status_code == 202
    done = world.wait(client, checkout["id"], until=("completed",))
    assert done["state"] == "completed", done
    world.stack.remove_card(wait=True)
    return wait_receipt(world, client, done["id"])


def net(world: KioskWorld, key: str) -> int:
    """An account's posted balance, signed as the ledger keeps it (0 when the account does not exist)."""
    with world.session() as s:
        account = ledger.account_by_key(s, key)
        return 0 if account is None else ledger.balance(s, account.id).net_posted


def pseudonym(world: KioskWorld, farmer: DemoFarmer) -> str:
    with world.app.app_context(), world.session() as s:
        record = fertilizer.find_by_nik(s, services().keys(), farmer.nik)
        assert record is not None
        return record.pseudonym


def journal(world: KioskWorld, journal_id: str) -> ledger.Journal:
    with world.session() as s:
        found = ledger.journal(s, uuid.UUID(journal_id))
        assert found is not None, journal_id
        return found


@contextmanager
def person_page(browser: Any, base_url: str, username: str) -> Iterator[Any]:
    """Another person's browser (own cookies), logged in; script errors and CSP refusals fail the test."""
    context = browser.new_context(viewport=KIOSK_VIEWPORT, locale="id-ID", timezone_id="Asia/Makassar")
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = watch(page)
    try:
        login(page, base_url, username, PASSWORD)
        yield page
    finally:
        context.close()
    assert problems == []


def figure(page: Any, key: str) -> str:
    """The text of a figure on the end-of-day page (``data-k`` attribute)."""
    return str(page.locator(f'[data-k="{key}"]').first.inner_text())
