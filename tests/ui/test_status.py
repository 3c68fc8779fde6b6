"""The device status panel in a real browser (issue 10), fed by the real agent, BPJS link and
database: it shows the card going in, and what is not running as a problem."""

from __future__ import annotations

from typing import Any

from tests.support.kiosk_stack import KioskWorld, pick
from tests.ui.pages import checked, operator_page


def test_status_panel_follows_the_devices(world: KioskWorld, base_url: str, page: Any, population: Any,
                                          db_backend: str) -> None:
    farmer = pick(population, "paid_up")
    operator_page(page, base_url, world, farmer)
    page.get_by_role("link", name="Perangkat").click()
    page.wait_for_url(f"{base_url}/status")
    page.locator("#st-agent.good").wait_for()
    assert page.locator("#st-pcscd").inner_text() == "berjalan"
    assert page.locator("#st-card").inner_text() == "tidak ada kartu"
    assert page.locator("#st-reader").inner_text().startswith("Virtual PCD")
    assert page.locator("#st-pinpad").inner_text() == "siap"
    assert page.locator("#st-printer.good").inner_text() == "siap"
    assert page.locator("#st-paper").inner_text() == "kertas cukup"
    assert page.locator("#st-bpjs.good").inner_text() == "ya"
    assert page.locator("#st-pending").inner_text() == "0"
    assert page.locator("#st-db").inner_text().startswith(world.app.extensions["kiosk.db"].engine.dialect.name)
    assert page.locator("#st-worker.bad").inner_text() == "tidak berjalan"  # no worker runs in this test
    checked(page, f"status-{db_backend}")
    world.insert(farmer)
    page.locator("#st-card", has_text="kartu masuk").wait_for(timeout=10_000)
