"""The farmer's consent: PIN mistakes, a blocked card, the card pulled before or after the
transaction signature (issue 8, tests 4 and 7)."""

from __future__ import annotations

import time

from kiosk.checkout import store
from tests.support.kiosk_stack import KioskWorld, pick, snapshot


def _steps(world: KioskWorld, checkout_id: str) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    import uuid

    with world.session() as s:
        return [(st.event, st.detail) for st in store.steps(s, uuid.UUID(checkout_id))]


def test_one_wrong_pin_then_the_right_one_completes(world: KioskWorld, population, db_backend: str) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "paid_up", skip=5 if db_backend == "sqlite" else 6)
    client, checkout = world.swipe(farmer)
    wrong = "000000" if farmer.pin != "000000" else "111111"
    world.stack.queue_pin(wrong)
    world.stack.queue_pin(farmer.pin)
    assert world.confirm(client, checkout["id"], {"UREA": 50}).status_code == 202
    done = world.wait(client, checkout["id"], until=("completed",))
    assert done["state"] == "completed"
    retries = [d for e, d in _steps(world, checkout["id"]) if e == "pin_requested" and d.get("code") == "wrong_pin"]
    assert len(retries) == 1 and "PIN" in retries[0]["message_en"]


def test_three_wrong_pins_block_the_card_and_nothing_is_taken(world: KioskWorld, population, db_backend: str) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "paid_up", skip=7 if db_backend == "sqlite" else 8)
    client, checkout = world.swipe(farmer)
    before = snapshot(world)
    wrong = "000000" if farmer.pin != "000000" else "111111"
    for _ in range(3):
        world.stack.queue_pin(wrong)
    world.confirm(client, checkout["id"], {"UREA": 50})
    done = world.wait(client, checkout["id"], until=("aborted",))
    assert done["state"] == "aborted" and done["error"]["code"] == "pin_blocked"
    assert snapshot(world) == before
    world.stack.remove_card()
    _, again = world.swipe(farmer)  # still blocked after re-insert: the PIN never unblocks by itself
    world.stack.queue_pin(farmer.pin)
    world.confirm(client, again["id"], {"UREA": 50})
    assert world.wait(client, again["id"], until=("aborted",))["error"]["code"] == "pin_blocked"
    assert snapshot(world) == before


def test_card_pulled_before_the_signature_aborts_and_nothing_is_taken(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "paid_up", skip=9)
    client, checkout = world.swipe(farmer)
    before = snapshot(world)
    world.confirm(client, checkout["id"], {"UREA": 50})  # no PIN queued: the pad waits for the farmer
    world.wait(client, checkout["id"], until=("awaiting_pin",))
    time.sleep(0.3)
    world.stack.remove_card()
    done = world.wait(client, checkout["id"], until=("aborted",))
    assert done["state"] == "aborted" and done["error"]["code"] in ("card_removed", "no_card")
    assert snapshot(world) == before


def test_card_pulled_after_the_signature_still_completes(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "one_behind", skip=3)
    world.bpjs.fault("payment", "latency", count=1, latency_ms=1500)  # BPJS is slow to answer
    client, checkout = world.swipe(farmer)
    world.confirm(client, checkout["id"], {"UREA": 50}, pin=farmer.pin)
    world.wait(client, checkout["id"], until=("paying", "pending", "unresolved", "completed"))
    world.stack.remove_card()  # the farmer takes the card while BPJS is answering
    done = world.wait(client, checkout["id"], until=("completed",))
    assert done["state"] == "completed" and done["bpjs"]["reference"]


def test_cancel_on_the_pin_pad_aborts(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "paid_up", skip=10)
    client, checkout = world.swipe(farmer)
    before = snapshot(world)
    world.stack.pinpad_control.queue("cancel")
    world.confirm(client, checkout["id"], {"UREA": 50})
    done = world.wait(client, checkout["id"], until=("aborted",))
    assert done["error"]["code"] == "pin_cancelled" and done["error"]["message_id"]
    assert snapshot(world) == before


def test_operator_cancel_while_the_pad_waits_frees_the_pad_for_the_next_swipe(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    import uuid

    farmer = pick(population, "paid_up", skip=11)
    client, checkout = world.swipe(farmer)
    before = snapshot(world)
    world.confirm(client, checkout["id"], {"UREA": 50})  # no PIN queued: the pad waits for the farmer
    world.wait(client, checkout["id"], until=("awaiting_pin",))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the PIN entry has started on the pad
        with world.session() as s:
            if store.load(s, uuid.UUID(checkout["id"])).pin_operation:
                break
        time.sleep(0.05)
    cancelled = client.post(f"/api/v1/checkouts/{checkout['id']}/cancel", headers={"Idempotency-Key": f"x-{uuid.uuid4()}"})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert world.wait(client, checkout["id"], until=("aborted",))["error"]["code"] == "cancelled"
    assert snapshot(world) == before
    # the same card, a new checkout at once: without the pad freed it would be refused as busy until the
    # abandoned entry timed out (60 s)
    again = client.post("/api/v1/checkouts", headers={"Idempotency-Key": f"swipe-{uuid.uuid4()}"}).get_json()
    assert world.wait(client, again["id"], until=("decided",))["state"] == "decided"
    world.confirm(client, again["id"], {"UREA": 50}, pin=farmer.pin)
    done = world.wait(client, again["id"], until=("completed",))
    assert done["state"] == "completed", done.get("error")
