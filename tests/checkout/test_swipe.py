"""One swipe, end to end through the real stack (issue 8, tests 1-3)."""

from __future__ import annotations

import fertilizer
import ledger
from kiosk import chart
from kiosk.money import card_balance, deposit_balance
from tests.support.kiosk_stack import KioskWorld, pick


def _balances(world: KioskWorld, farmer_pseudonym: str, kiosk: str, season: str) -> dict[str, object]:
    with world.session() as s:
        return {
            "card": card_balance(s, farmer_pseudonym),
            "deposit": deposit_balance(s, kiosk),
            "quota": fertilizer.quota_left(s, farmer_pseudonym, season),
            "stock": fertilizer.stock_left(s, kiosk),
        }


def test_paid_up_farmer_buys_urea_and_npk_with_the_card(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "paid_up")
    client, checkout = world.swipe(farmer)
    assert checkout["state"] == "decided", checkout
    allowed = {a["product"]: a for a in checkout["decision"]["allowed"]}
    assert checkout["decision"]["contribution"]["amount"] == 0
    pseudonym, kiosk, season = checkout["farmer"]["pseudonym"], checkout["kiosk"], checkout["decision"]["season"]
    before = _balances(world, pseudonym, kiosk, season)
    lines = {p: min(kg, allowed[p]["max_kg"]) for p, kg in (("UREA", 100), ("NPK", 50)) if p in allowed}
    assert lines, f"the farmer may buy neither Urea nor NPK: {allowed}"
    resp = world.confirm(client, checkout["id"], lines, pin=farmer.pin)
    assert resp.status_code == 202, resp.get_json()
    done = world.wait(client, checkout["id"], until=("completed",))
    assert done["state"] == "completed", done
    assert done["fertilizer_released"] is True
    after = _balances(world, pseudonym, kiosk, season)
    expected = sum(kg * allowed[p]["price_per_kg"] for p, kg in lines.items())
    assert done["totals"]["fertilizer"] == expected and done["totals"]["contribution"] == 0
    assert before["card"] - after["card"] == expected
    assert after["deposit"] == before["deposit"]
    for product, kg in lines.items():
        assert before["quota"][product] - after["quota"][product] == kg
        assert before["stock"][product] - after["stock"][product] == kg
    with world.session() as s:
        journal = ledger.journal(s, __import__("uuid").UUID(done["journal_id"]))
        assert journal is not None and journal.state is ledger.JournalState.POSTED
        assert journal.remote_ref is None
    assert world.bpjs.stats()["payments"] == 0 if "payments" in world.bpjs.stats() else True
