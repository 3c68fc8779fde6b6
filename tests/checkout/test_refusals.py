"""Refusals (issue 8, test 4): each with its reason, and nothing changed anywhere."""

from __future__ import annotations

from typing import Any

import pytest

import fertilizer
from kiosk import cards
from kiosk.money import card_balance
from tests.support.kiosk_stack import KioskWorld, pick, snapshot


def _reasons(checkout: dict[str, Any]) -> set[str]:
    return {r["code"] for r in checkout["decision"]["reasons"]}


def test_bpjs_unreachable_without_a_cached_answer_refuses(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "one_behind")
    world.bpjs.fault("participant-inquiry", "error", count=50)
    before = snapshot(world)
    client, checkout = world.swipe(farmer)
    assert checkout["state"] == "decided"
    assert "bpjs_unavailable" in _reasons(checkout) and checkout["decision"]["allowed"] == []
    resp = world.confirm(client, checkout["id"], {"UREA": 50})
    assert resp.status_code == 422 and resp.get_json()["error"]["message_id"]
    assert snapshot(world) == before


def test_bpjs_unreachable_with_a_fresh_paid_up_answer_still_sells(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "paid_up")
    client, first = world.swipe(farmer)  # a live answer: paid up, cached
    client.post(f"/api/v1/checkouts/{first['id']}/cancel")
    world.stack.remove_card()
    world.bpjs.fault("participant-inquiry", "error", count=50)
    client, checkout = world.swipe(farmer)
    assert "bpjs_cached" in _reasons(checkout)
    assert any(a["product"] == "UREA" for a in checkout["decision"]["allowed"])
    resp = world.confirm(client, checkout["id"], {"UREA": 50}, pin=farmer.pin)
    assert resp.status_code == 202
    assert world.wait(client, checkout["id"], until=("completed",))["state"] == "completed"


def _drain(world: KioskWorld, debit_key: str, credit_key: str, leave: int, unit_key: str) -> None:
    """An adjustment journal that leaves ``leave`` in the limited account ``debit_key``."""
    import ledger
    from kiosk.db import get_db

    with world.app.app_context(), get_db().sessions.begin() as s:
        debit, credit = ledger.account_by_key(s, debit_key), ledger.account_by_key(s, credit_key)
        assert debit is not None and credit is not None
        available = ledger.balance(s, debit.id).available or 0
        ledger.submit(s, ledger.JournalSpec(f"drain-{unit_key}", ledger.JournalKind.ADJUSTMENT,
                                            [ledger.Leg(debit.id, credit.id, debit.asset, available - leave)]), now=_now())


def test_balance_short_is_refused_at_the_journal_and_nothing_taken(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "paid_up", skip=1)
    client, checkout = world.swipe(farmer)
    pseudonym = checkout["farmer"]["pseudonym"]
    urea = next(a for a in checkout["decision"]["allowed"] if a["product"] == "UREA")
    _drain(world, f"card:{pseudonym}", "bank:settlement", urea["price_per_kg"] * 10, pseudonym)  # 10 kg worth left
    before = snapshot(world)
    world.confirm(client, checkout["id"], {"UREA": min(11, urea["max_kg"])}, pin=farmer.pin)
    done = world.wait(client, checkout["id"], until=("failed",))
    assert done["state"] == "failed" and "Saldo kartu tidak cukup" in done["error"]["message_id"]
    assert "card balance is short" in done["error"]["message"]
    with world.session() as s:
        assert card_balance(s, pseudonym) == urea["price_per_kg"] * 10
    after = snapshot(world)
    assert after["ledger"] == before["ledger"] and after["bpjs"] == before["bpjs"]


def test_more_than_quota_is_refused_before_the_pin(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "paid_up", skip=2)
    client, checkout = world.swipe(farmer)
    urea = next(a for a in checkout["decision"]["allowed"] if a["product"] == "UREA")
    before = snapshot(world)
    resp = world.confirm(client, checkout["id"], {"UREA": urea["max_kg"] + 1})
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "over_allowance"
    assert snapshot(world) == before


def test_quota_exhausted_and_out_of_stock_are_reasons(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "paid_up", skip=3)
    kiosk = world.kiosk_of(farmer)
    client, checkout = world.swipe(farmer)
    season, pseudonym = checkout["decision"]["season"], checkout["farmer"]["pseudonym"]
    assert {"UREA", "NPK"} <= {a["product"] for a in checkout["decision"]["allowed"]}
    client.post(f"/api/v1/checkouts/{checkout['id']}/cancel")
    world.stack.remove_card()
    from kiosk.db import get_db

    with world.app.app_context(), get_db().sessions.begin() as s:
        fertilizer.allocate(s, pseudonym=pseudonym, season=season, kg={"UREA": 0}, now=_now(), actor="test", reason="test")
    _drain(world, f"stock:{kiosk}:NPK", f"supply:{kiosk}:NPK", 0, kiosk)
    before = snapshot(world)
    client, checkout = world.swipe(farmer)
    codes = {(r["code"], r["product"]) for r in checkout["decision"]["reasons"]}
    assert ("quota_exhausted", "UREA") in codes and ("out_of_stock", "NPK") in codes
    assert not {"UREA", "NPK"} & {a["product"] for a in checkout["decision"]["allowed"]}
    assert all(r["message_id"] and r["message_en"] for r in checkout["decision"]["reasons"])
    assert snapshot(world) == before


def _now():  # type: ignore[no-untyped-def]
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def test_wrong_kiosk_refuses(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "paid_up")
    home = world.kiosk_of(farmer)
    other = next(k for k in world.seed.outlets if k != home)
    before = snapshot(world)
    client, checkout = world.swipe(farmer, kiosk=other)
    assert "wrong_kiosk" in _reasons(checkout) and checkout["decision"]["allowed"] == []
    assert snapshot(world) == before


def test_hotlisted_card_is_aborted_with_its_reason(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "paid_up")
    with world.app.app_context():
        from kiosk.db import get_db

        with get_db().sessions.begin() as s:
            cards.hotlist_card(s, farmer.card_number, cards.HotlistReason.LOST, _now())
    before = snapshot(world)
    client, checkout = world.swipe_raw(farmer)
    assert checkout["state"] == "aborted" and checkout["error"]["code"] == "hotlisted"
    assert "hilang" in checkout["error"]["message_id"]
    assert snapshot(world) == before


def test_deposit_exhausted_refuses_the_contribution_and_nothing_is_taken(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "one_behind")
    kiosk = world.kiosk_of(farmer)
    with world.app.app_context():
        from kiosk.db import get_db
        from kiosk.money import deposit_balance

        with get_db().sessions.begin() as s:
            left = deposit_balance(s, kiosk)
            # the retailer's deposit was spent elsewhere: move it all to the host in one journal
            import ledger
            from kiosk import chart

            acc = chart.kiosk_accounts(s, kiosk, now=_now())
            ledger.submit(s, ledger.JournalSpec(f"drain-{kiosk}", ledger.JournalKind.ADJUSTMENT,
                                                [ledger.Leg(acc.deposit, acc.bpjs_host, ledger.IDR, left)], kiosk=kiosk),
                          now=_now())
    before = snapshot(world)
    client, checkout = world.swipe(farmer)
    assert checkout["decision"]["contribution"]["amount"] > 0
    world.confirm(client, checkout["id"], {}, pin=farmer.pin)
    done = world.wait(client, checkout["id"], until=("failed",))
    assert done["state"] == "failed" and "Deposit BPJS" in done["error"]["message_id"]
    after = snapshot(world)
    assert after == before
