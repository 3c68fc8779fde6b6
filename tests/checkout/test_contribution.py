"""Contribution and fertilizer in one journal, and BPJS that lies (issue 8, tests 2, 3, 5, 9)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from typing import Any

import ledger
from bpjs_link import Month
from kiosk.checkout import runner
from kiosk.money import card_balance, deposit_balance
from kiosk.wiring import checkout_deps
from tests.support.kiosk_stack import KioskWorld, pick, snapshot


def _journal(world: KioskWorld, journal_id: str) -> ledger.Journal:
    with world.session() as s:
        found = ledger.journal(s, uuid.UUID(journal_id))
        assert found is not None
        return found


def _account(world: KioskWorld, key: str) -> int:
    with world.session() as s:
        account = ledger.account_by_key(s, key)
        return 0 if account is None else ledger.balance(s, account.id).net_posted


def _resume(world: KioskWorld) -> int:
    """What the worker's resume job does, once."""
    with world.app.app_context():
        return runner.resume_due(checkout_deps(), "worker:test")


def _buy_with_contribution(world: KioskWorld, farmer: Any, lines: dict[str, int]) -> tuple[Any, dict[str, Any]]:
    client, checkout = world.swipe(farmer)
    resp = world.confirm(client, checkout["id"], lines, pin=farmer.pin)
    assert resp.status_code == 202, resp.get_json()
    return client, checkout


def test_one_month_behind_pays_contribution_and_fertilizer_in_one_journal(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "one_behind")
    kiosk = world.kiosk_of(farmer)
    before_host = world.bpjs.participant(farmer.nik)
    client, checkout = world.swipe(farmer)
    c = checkout["decision"]["contribution"]
    assert len(c["months"]) == 1 and c["amount"] == 16_800
    assert checkout["decision"]["agent_fee"] == 1_260 and checkout["decision"]["agent"]
    pseudonym = checkout["farmer"]["pseudonym"]
    with world.session() as s:
        card0, deposit0 = card_balance(s, pseudonym), deposit_balance(s, kiosk)
    fee0 = _account(world, f"agent:{checkout['decision']['agent']}")
    world.confirm(client, checkout["id"], {"UREA": 50}, pin=farmer.pin)
    done = world.wait(client, checkout["id"], until=("completed",))
    assert done["state"] == "completed", done
    urea = done["selection"]["lines"][0]
    journal = _journal(world, done["journal_id"])
    assert journal.state is ledger.JournalState.POSTED and journal.remote_ref == done["journal_id"]
    assert journal.kind is ledger.JournalKind.REDEMPTION
    assets = {leg.asset for leg in journal.legs}
    assert assets == {"IDR", "KG:UREA"}  # rupiah and kilograms in ONE journal
    with world.session() as s:
        assert card0 - card_balance(s, pseudonym) == urea["amount"] + 16_800
        assert deposit0 - deposit_balance(s, kiosk) == 16_800
    # agent fee accrued (a credit to the penyuluh's account: debit-positive net goes down)
    assert fee0 - _account(world, f"agent:{checkout['decision']['agent']}") == 1_260
    after_host = world.bpjs.participant(farmer.nik)
    assert Month.parse(after_host["paidThrough"]) == Month.parse(before_host["paidThrough"]) + 1
    assert done["bpjs"]["paid_through_after"] == after_host["paidThrough"] and done["bpjs"]["reference"]
    assert world.bpjs.state()["booked"] == 1


def test_unregistered_farmer_is_registered_pays_the_first_month_and_buys(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "unregistered")
    client, checkout = world.swipe(farmer)
    assert checkout["decision"]["registration_needed"] is True
    assert checkout["decision"]["contribution"]["amount"] == 16_800
    world.confirm(client, checkout["id"], {"UREA": 50}, pin=farmer.pin)
    done = world.wait(client, checkout["id"], until=("completed",))
    assert done["state"] == "completed", done
    host = world.bpjs.participant(farmer.nik)
    assert host["kpj"] == done["bpjs"]["kpj"] and host["status"] == "active"
    assert world.bpjs.stats()["calls"].get("registration") == 1


def test_answer_lost_commit_then_drop_is_pending_then_posted_once_by_the_worker(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "one_behind", skip=1)
    world.bpjs.fault("payment", "commit-then-drop", count=5)  # booked at the host, every answer lost
    client, checkout = _buy_with_contribution(world, farmer, {"UREA": 50})
    late = world.wait(client, checkout["id"], until=("unresolved",))
    assert late["state"] == "unresolved" and late["waiting_for"] == "bpjs" and late["journal_id"]
    assert _journal(world, late["journal_id"]).state is ledger.JournalState.PENDING
    assert late["fertilizer_released"] is False
    assert world.bpjs.state()["booked"] == 1  # the host booked it once, whatever we sent
    from kiosk.checkout.schema import CheckoutRow

    deadline = time.monotonic() + 10
    while True:  # the web process's runner shows "unresolved" a moment before it lets go of its lease
        with world.session() as s:
            row = s.get(CheckoutRow, uuid.UUID(checkout["id"]))
            assert row is not None
            if row.lease_until is None or row.lease_until < datetime.now(timezone.utc):
                row.next_attempt_at = None  # the backoff is not what this test waits for
                s.commit()
                break
        assert time.monotonic() < deadline, "the web process never released the checkout"
        time.sleep(0.05)
    assert _resume(world) == 1
    done = world.wait(client, checkout["id"], until=("completed",))
    assert done["state"] == "completed"
    assert _journal(world, done["journal_id"]).state is ledger.JournalState.POSTED
    assert world.bpjs.state()["booked"] == 1
    assert _resume(world) == 0  # nothing left to do; never paid twice


def test_paid_elsewhere_between_inquiry_and_payment_is_not_charged_twice(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "one_behind", skip=2)
    client, checkout = world.swipe(farmer)
    world.bpjs.paid_elsewhere(farmer.nik, months=1)  # at Alfamart, after our inquiry
    host_before, person_before = world.bpjs.state(), world.bpjs.participant(farmer.nik)
    pseudonym = checkout["farmer"]["pseudonym"]
    with world.session() as s:
        card0 = card_balance(s, pseudonym)
    world.confirm(client, checkout["id"], {"UREA": 50}, pin=farmer.pin)
    done = world.wait(client, checkout["id"], until=("failed",))
    assert done["state"] == "failed" and done["error"]["code"]
    assert _journal(world, done["journal_id"]).state is ledger.JournalState.VOIDED
    with world.session() as s:
        assert card_balance(s, pseudonym) == card0  # nothing taken
    host_after = world.bpjs.state()  # the host keeps the refused order on record; nothing was booked
    assert host_after["booked"] == host_before["booked"] and host_after["deposits"] == host_before["deposits"]
    assert world.bpjs.participant(farmer.nik) == person_before


def test_replays_of_create_and_confirm_change_nothing(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "paid_up", skip=4)
    client = world.operator(world.kiosk_of(farmer))
    world.insert(farmer)
    first = client.post("/api/v1/checkouts", headers={"Idempotency-Key": "swipe-replay-1"})
    again = client.post("/api/v1/checkouts", headers={"Idempotency-Key": "swipe-replay-1"})
    assert first.status_code == 202 and again.status_code == 200
    assert first.get_json()["id"] == again.get_json()["id"]
    cid = first.get_json()["id"]
    world.wait(client, cid, until=("decided",))
    r1 = world.confirm(client, cid, {"UREA": 50}, pin=farmer.pin, key="confirm-replay-1")
    assert r1.status_code == 202
    done = world.wait(client, cid, until=("completed",))
    before = snapshot(world)
    r2 = world.confirm(client, cid, {"UREA": 50}, key="confirm-replay-1")
    assert r2.status_code == 202 and r2.get_json()["journal_id"] == done["journal_id"]
    r3 = world.confirm(client, cid, {"UREA": 60}, key="confirm-replay-1")
    assert r3.status_code == 409 and r3.get_json()["error"]["code"] == "idempotency_conflict"
    assert snapshot(world) == before
