"""The supervisor's exception queue in a real browser (issue 10): a payment whose BPJS answer never
became final is passed to the supervisor, who records what BPJS confirmed; the operator's screen
follows to the end. Exceptions are raised at once here (``exception_after_minutes = 0``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import ledger
from kiosk.models import Role
from tests.support.browser import KIOSK_VIEWPORT, login, watch
from tests.support.kiosk_stack import PASSWORD, KioskWorld, pick
from tests.ui.pages import (
    checked,
    journal_state,
    make_user,
    operator_page,
    wait_decided,
)


@pytest.fixture
def world_settings() -> dict[str, Any]:
    return {"exception_after_minutes": 0}


@pytest.fixture
def supervisor_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=KIOSK_VIEWPORT, locale="id-ID", timezone_id="Asia/Makassar")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    problems = watch(pg)
    try:
        yield pg
    finally:
        context.close()
    assert problems == []


def test_supervisor_resolves_a_stuck_payment(world: KioskWorld, base_url: str, page: Any, supervisor_page: Any,
                                             population: Any, db_backend: str) -> None:
    farmer = pick(population, "one_behind", skip=2)
    world.bpjs.fault("payment", "commit-then-drop", count=20)  # booked at the host, the answer lost
    world.bpjs.fault("payment-status", "error", count=200)  # and nobody can ask after it
    operator_page(page, base_url, world, farmer)
    world.insert(farmer)
    wait_decided(page)
    page.locator('.line[data-product="UREA"]').get_by_role("button", name="+1 karung").click()
    world.stack.queue_pin(farmer.pin)
    page.get_by_role("button", name="Konfirmasi").click()
    page.locator("#screen-wait").wait_for(state="visible", timeout=30_000)
    page.locator("#wait-h", has_text="Diteruskan ke supervisor").wait_for(timeout=30_000)
    journal_id = page.locator("#wait-journal").inner_text()
    checked(page, f"exception-operator-{db_backend}")

    sv = supervisor_page
    login(sv, base_url, make_user(world, Role.SUPERVISOR), PASSWORD)
    sv.get_by_role("link", name="Antrean pengecualian").first.click()
    sv.wait_for_url(f"{base_url}/supervisor/exceptions")
    item = sv.locator("li.exception", has_text=journal_id)
    assert sv.locator("li.exception").count() == 1
    assert farmer.nik not in sv.content() and farmer.nik[-4:] in item.inner_text()
    checked(sv, f"exception-queue-{db_backend}")
    item.get_by_role("button", name="Selesaikan").click()  # no outcome chosen yet
    assert "Pilih apa yang dikonfirmasi BPJS" in item.locator(".field-error").inner_text()
    item.get_by_label("Tercatat: bukukan jurnal").check()
    item.get_by_label("Alasan (disimpan di log audit)").fill("BPJS settlement list shows the payment booked")
    item.get_by_role("button", name="Selesaikan").click()
    item.locator(".resolved").wait_for()
    assert "jurnal dibukukan" in item.locator(".resolved").inner_text()
    checked(sv, f"exception-resolved-{db_backend}")
    assert journal_state(world, journal_id) is ledger.JournalState.POSTED

    page.locator("#screen-result").wait_for(state="visible", timeout=30_000)  # the operator's screen follows
    assert page.locator("#result-h").inner_text() == "Selesai"
    assert "Urea 50 kg" in page.locator("#handover").inner_text()

    sv.reload()
    assert sv.locator("li.exception").count() == 0
    assert sv.locator("#sv-empty").inner_text() == "Tidak ada pembayaran yang menunggu supervisor."
