"""The operator's swipe in a real browser through the real stack (issue 10): pcscd, the card
emulator, the PIN pad on a pty, the device agent, the BPJS sandbox and a seeded database.

Each test drives the page as an operator would (the card and the PIN through the emulators) and
then checks what the ledger and BPJS hold, not only what the page says.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

import fertilizer
import ledger
from kiosk.checkout.schema import CheckoutRow
from kiosk.models import Role
from kiosk.money import card_balance
from kiosk.wiring import services
from tests.support.kiosk_stack import PASSWORD, DemoFarmer, KioskWorld, pick, snapshot
from tests.ui.pages import (
    assert_one_screen,
    checked,
    focus_is_visible,
    journal_state,
    make_user,
    operator_page,
    resume_like_the_worker,
    rupiah,
    wait_decided,
)


def _pseudonym(world: KioskWorld, farmer: DemoFarmer) -> str:
    with world.app.app_context(), world.session() as s:
        record = fertilizer.find_by_nik(s, services().keys(), farmer.nik)
        assert record is not None
        return record.pseudonym


def test_swipe_with_the_card_balance(world: KioskWorld, base_url: str, page: Any, population: Any, db_backend: str) -> None:
    farmer = pick(population, "paid_up")
    operator_page(page, base_url, world, farmer)
    assert page.locator("#idle-h").inner_text() == "Masukkan kartu"
    checked(page, f"swipe-1-idle-{db_backend}")

    world.insert(farmer)  # the screen reacts by itself: no click
    wait_decided(page)
    assert page.locator("#farmer-name").inner_text() == farmer.name
    assert page.locator("#f-nik").inner_text() == farmer.nik[:4] + "*" * 8 + farmer.nik[-4:]
    assert farmer.nik not in page.content()
    assert "KPJ" in page.locator("#f-bpjs").inner_text()
    quota = page.locator("#quota-rows tr", has_text="Urea").locator("td")
    price = int(quota.nth(2).inner_text().removeprefix("Rp ").replace(".", ""))
    urea = page.locator('.line[data-product="UREA"]')
    urea.get_by_role("button", name="+1 karung").click()
    urea.get_by_role("button", name="+1 karung").click()
    urea.get_by_role("button", name="−1 karung").click()
    assert page.locator("#kg-UREA").input_value() == "50"
    total = 50 * price
    assert page.locator("#t-fert").inner_text() == rupiah(total)
    assert page.locator("#t-contrib").inner_text() == "Rp 0"
    assert page.locator("#amount-UREA").inner_text() == rupiah(total)
    assert_one_screen(page, "the decided swipe")
    checked(page, f"swipe-2-decided-{db_backend}")

    pseudonym = _pseudonym(world, farmer)
    with world.session() as s:
        balance_before = card_balance(s, pseudonym)
    page.get_by_role("button", name="Konfirmasi").click()
    page.locator("#screen-pin").wait_for(state="visible")
    assert page.locator("#pin-h").inner_text() == "Masukkan PIN pada PIN pad"
    assert page.locator("#pin-total").inner_text() == rupiah(total)
    assert_one_screen(page, "the PIN prompt")
    checked(page, f"swipe-3-pin-{db_backend}")

    world.stack.type_pin("1111" if farmer.pin != "1111" else "2222")  # a wrong PIN first
    page.locator("#pin-note [lang=id]").wait_for(timeout=30_000)
    assert page.locator("#pin-note [lang=id]").inner_text() == "PIN salah. Sisa percobaan: 2."
    assert page.locator("#pin-note [lang=en]").inner_text() == "Wrong PIN. Tries left: 2."
    checked(page, f"swipe-3b-wrong-pin-{db_backend}")
    world.stack.type_card_pin(farmer.card_number)  # the farmer types on the (emulated) pad
    page.locator("#screen-result").wait_for(state="visible", timeout=30_000)
    assert page.locator("#result-h").inner_text() == "Selesai"
    handover = page.locator("#handover").inner_text()
    assert "Urea 50 kg" in handover and "1 karung × 50 kg" in handover
    assert f"Dipotong dari saldo kartu: {rupiah(total)}" in page.locator("#result-money").inner_text()
    journal_id = page.locator("#result-journal").inner_text().split(": ")[1]
    assert journal_state(world, journal_id) is ledger.JournalState.POSTED
    with world.session() as s:
        assert balance_before - card_balance(s, pseudonym) == total
    assert_one_screen(page, "the result")
    checked(page, f"swipe-4-result-{db_backend}")

    page.get_by_role("button", name="Pelanggan berikutnya").click()
    page.locator("#screen-idle").wait_for(state="visible")
    assert page.locator("#start").is_visible()  # the card is still in: one touch starts again
    world.stack.remove_card(wait=True)
    page.locator("#reader-state.out").wait_for()
    assert page.locator("#start").is_hidden()


def test_refusal_shows_the_reason_and_what_to_do_and_changes_nothing(world: KioskWorld, base_url: str, page: Any,
                                                                     population: Any, db_backend: str) -> None:
    farmer = pick(population, "one_behind")
    world.bpjs.fault("participant-inquiry", "error", count=50)
    operator_page(page, base_url, world, farmer)
    before = snapshot(world)
    world.insert(farmer)
    wait_decided(page)
    reasons = page.locator("#reasons")
    assert "BPJS tidak dapat dihubungi" in reasons.inner_text()
    assert "BPJS cannot be reached" in reasons.locator("[lang=en]").inner_text()
    assert "Coba lagi nanti" in reasons.locator(".what-next").inner_text()
    assert page.locator("#lines .line").count() == 0
    assert page.locator("#no-products").is_visible() and page.locator("#confirm").is_hidden()
    checked(page, f"refusal-decided-{db_backend}")
    page.keyboard.press("Escape")  # cancel before consent
    page.locator("#screen-result").wait_for(state="visible")
    assert page.locator("#result-h").inner_text() == "Dibatalkan: tidak ada yang dipotong"
    assert page.locator("#result-reason [lang=id]").inner_text() == "Dibatalkan oleh operator."
    checked(page, f"refusal-cancelled-{db_backend}")
    assert snapshot(world) == before


def test_late_bpjs_answer_shows_the_journal_then_completes(world: KioskWorld, base_url: str, page: Any,
                                                           population: Any, db_backend: str) -> None:
    farmer = pick(population, "one_behind", skip=1)
    world.bpjs.fault("payment", "commit-then-drop", count=5)  # booked at the host, every answer lost
    operator_page(page, base_url, world, farmer)
    world.insert(farmer)
    wait_decided(page)
    assert page.locator("#t-contrib").inner_text() == "Rp 16.800"
    assert "Iuran BPJS" in page.locator("#reasons").inner_text()
    assert "tunggakan" in page.locator("#f-bpjs").inner_text()
    page.locator('.line[data-product="UREA"]').get_by_role("button", name="+1 karung").click()
    page.get_by_label("Tunai").check()  # cash: taken only once the journal is posted
    total = page.locator("#t-total").inner_text()
    with world.session() as s:
        balance_before = card_balance(s, _pseudonym(world, farmer))
    world.stack.queue_pin(farmer.pin)
    page.get_by_role("button", name="Konfirmasi").click()
    page.locator("#screen-wait").wait_for(state="visible", timeout=30_000)
    assert page.locator("#wait-h").inner_text() == "Menunggu konfirmasi BPJS"
    assert "Jangan serahkan pupuk" in page.locator("#screen-wait").inner_text()
    journal_id = page.locator("#wait-journal").inner_text()
    assert journal_state(world, journal_id) is ledger.JournalState.PENDING
    assert_one_screen(page, "the wait for BPJS")
    checked(page, f"late-bpjs-waiting-{db_backend}")
    resume_like_the_worker(world)
    page.locator("#screen-result").wait_for(state="visible", timeout=30_000)
    assert page.locator("#result-h").inner_text() == "Selesai"
    assert journal_id in page.locator("#result-journal").inner_text()
    assert journal_state(world, journal_id) is ledger.JournalState.POSTED
    money = page.locator("#result-money").inner_text()
    assert "Iuran BPJS dibayar untuk" in money and f"Terima uang tunai: {total}" in money
    with world.session() as s:
        assert card_balance(s, _pseudonym(world, farmer)) == balance_before  # cash, not the card
    assert world.bpjs.state()["booked"] == 1
    checked(page, f"late-bpjs-completed-{db_backend}")


def test_keyboard_only_swipe_then_escape(world: KioskWorld, base_url: str, page: Any, population: Any,
                                         db_backend: str) -> None:
    farmer = pick(population, "paid_up", skip=1)
    username = make_user(world, Role.OPERATOR, world.kiosk_of(farmer))
    page.goto(f"{base_url}/login")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'username'")
    page.keyboard.type(username)  # the username field has focus
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/operator")
    page.locator("#reader-state.out").wait_for()
    world.insert(farmer)
    wait_decided(page)
    assert page.evaluate("document.activeElement.id") == "kg-UREA"  # the first product's kg, ready to type
    assert focus_is_visible(page)
    page.keyboard.press("Control+A")
    page.keyboard.type("20")
    page.keyboard.press("Tab")  # -> "+1 karung" of Urea
    assert page.evaluate("document.activeElement.dataset.act") == "plus" and focus_is_visible(page)
    page.keyboard.press("Enter")
    max_kg = int(page.locator("#kg-UREA").get_attribute("max") or 0)
    expected = min(70, max_kg)
    assert page.locator("#kg-UREA").input_value() == str(expected)
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "kg-UREA"
    world.stack.queue_pin(farmer.pin)
    page.keyboard.press("Enter")  # Enter confirms
    page.locator("#screen-result").wait_for(state="visible", timeout=30_000)
    assert page.locator("#result-h").inner_text() == "Selesai"
    assert f"Urea {expected} kg" in page.locator("#handover").inner_text()
    assert page.evaluate("document.activeElement.id") == "result-next" and focus_is_visible(page)
    page.keyboard.press("Enter")  # next customer
    page.locator("#screen-idle").wait_for(state="visible")
    page.keyboard.press("Tab")  # -> "start a swipe for this card" (the card is still in)
    assert page.evaluate("document.activeElement.id") == "start"
    page.keyboard.press("Enter")
    wait_decided(page)
    page.keyboard.press("Escape")
    page.locator("#screen-result").wait_for(state="visible")
    assert page.locator("#result-h").inner_text() == "Dibatalkan: tidak ada yang dipotong"
    with world.session() as s:
        states = sorted(s.scalars(sa.select(CheckoutRow.state)).all())
    assert [str(x) for x in states] == ["aborted", "completed"]  # the second swipe got a key of its own


def test_the_busiest_swipe_fits_1024x600(world: KioskWorld, base_url: str, page: Any, population: Any,
                                         db_backend: str) -> None:
    """The farmer with the most products among those with a contribution due: farmer panel with
    quota and reasons, every product line, totals and tender on one screen without scrolling."""
    season = world.seed.season
    with world.app.app_context(), world.session() as s:
        def products(f: DemoFarmer) -> int:
            record = fertilizer.find_by_nik(s, services().keys(), f.nik)
            return len(fertilizer.quota_left(s, record.pseudonym, season)) if record else 0
        farmer = max((f for f in population if f.standing == "one_behind"), key=products)
        count = products(farmer)
    assert count >= 3, "the demo population should have a farmer with three products or more"
    operator_page(page, base_url, world, farmer)
    world.insert(farmer)
    wait_decided(page)
    assert page.locator("#quota-rows tr").count() == count
    for line in page.locator("#lines .line").all():
        line.get_by_role("button", name="+1 karung").click()
    assert_one_screen(page, f"a swipe with {count} products and a contribution due")
    checked(page, f"busiest-decided-{db_backend}")
    page.get_by_role("button", name="EN", exact=True).click()  # the same screen in English
    page.wait_for_url(f"{base_url}/operator")
    wait_decided(page)  # a reload with the card in resumes the same checkout
    assert page.locator("#sel-h").inner_text() == "Selection"
    assert_one_screen(page, "the busiest swipe in English")
    checked(page, f"busiest-decided-en-{db_backend}")
    with world.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CheckoutRow)) == 1
    before = snapshot(world)
    world.stack.remove_card(wait=True)  # the farmer pulls the card before the PIN: cancelled
    page.locator("#screen-result").wait_for(state="visible")
    assert page.locator("#result-h").inner_text() == "Cancelled: nothing was taken"
    assert page.locator("#result-advice").inner_text().startswith("The card was removed.")
    assert snapshot(world) == before


def test_result_follows_the_receipt_until_it_is_printed(world: KioskWorld, base_url: str, page: Any,
                                                       population: Any, db_backend: str) -> None:
    """The checkout's ``receipt`` (printed through the agent onto the printer emulator) is shown
    and followed on the result screen until it is printed."""
    farmer = pick(population, "paid_up", skip=2)
    operator_page(page, base_url, world, farmer)
    world.insert(farmer)
    wait_decided(page)
    page.locator('.line[data-product="UREA"]').get_by_role("button", name="+1 karung").click()
    world.stack.queue_pin(farmer.pin)
    page.get_by_role("button", name="Konfirmasi").click()
    page.locator("#screen-result").wait_for(state="visible", timeout=30_000)
    receipt = page.locator('#result-receipt[data-state="printed"]')
    receipt.wait_for(timeout=30_000)
    assert receipt.locator("[lang=id]").inner_text().startswith("Struk dicetak.")
    assert receipt.locator("[lang=en]").inner_text().startswith("The receipt was printed.")
    journal_id = page.locator("#result-journal").inner_text().split(": ")[1]
    printed = [r for r in world.stack.printed_receipts() if any(journal_id in q for q in r["qr"])]
    assert len(printed) == 1  # on the (emulated) printer, once
    assert_one_screen(page, "the result with its receipt")
    checked(page, f"receipt-printed-{db_backend}")
