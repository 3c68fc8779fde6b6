"""Receipts end to end (issue 9): a swipe through pcscd, the PIN pad and BPJS, the receipt printed by
the device agent with python-escpos on the emulated printer; the emulator's stored text is compared
exactly with what the receipt must say, and its QR with the journal id and the audit leaf hash."""

from __future__ import annotations

import time
import uuid
from typing import Any

import fertilizer
from bpjs_link import Month
from kiosk.checkout.printing import sale_key
from kiosk.money import card_balance
from kiosk.money.work import print_receipts
from kiosk.receipts import (
    Contribution,
    ContributionReceipt,
    ProductLine,
    QuotaLeft,
    SaleReceipt,
    Tender,
    TopUpReceipt,
    YearMonth,
    as_copy,
)
from kiosk.wiring import checkout_deps
from tests.money import expect
from tests.support.kiosk_stack import (
    KioskWorld,
    pick,
    printed_number,
    printed_since,
    wait_receipt,
)


def _month(text: str) -> YearMonth:
    m = Month.parse(text)
    return YearMonth(m.year, m.month)


def _quota(world: KioskWorld, pseudonym: str, season: str, products: list[str]) -> tuple[QuotaLeft, ...]:
    with world.session() as s:
        left = fertilizer.quota_left(s, pseudonym, season)
    return tuple(QuotaLeft(fertilizer.product(p).name, left[p]) for p in products)


def _buy(world: KioskWorld, farmer: Any, lines: dict[str, int]) -> tuple[Any, dict[str, Any]]:
    client, checkout = world.swipe(farmer)
    allowed = {a["product"]: a for a in checkout["decision"]["allowed"]}
    lines = {p: min(kg, allowed[p]["max_kg"]) for p, kg in lines.items()}
    assert world.confirm(client, checkout["id"], lines, pin=farmer.pin).status_code == 202
    done = world.wait(client, checkout["id"], until=("completed",))
    assert done["state"] == "completed", done
    return client, done


def test_sale_with_contribution_prints_exactly_once_and_a_reprint_is_a_copy(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "one_behind")
    kiosk = world.kiosk_of(farmer)
    mark = printed_number(world)
    client, done = _buy(world, farmer, {"UREA": 50})
    view = wait_receipt(world, client, done["id"])
    journal_id = done["journal_id"]
    assert view["receipt"]["state"] == "printed" and view["receipt"]["key"] == f"sale:{journal_id}"
    assert view["receipt"]["message_id"] == "Struk dicetak." and view["receipt"]["message_en"] == "The receipt was printed."
    [printed] = printed_since(world, mark)
    line = done["selection"]["lines"][0]
    pseudonym, season = done["farmer"]["pseudonym"], done["decision"]["season"]
    with world.session() as s:
        balance = card_balance(s, pseudonym)
    expected = SaleReceipt(
        expect.header(world, kiosk, journal_id, f"op-{kiosk.lower()}", farmer),
        (ProductLine("Urea", line["kg"], line["price_per_kg"]),), Tender.CARD_BALANCE,
        Contribution(done["bpjs"]["kpj"], 1, 16_800, _month(done["bpjs"]["paid_through_after"])),
        expect.penyuluh(world, farmer), _quota(world, pseudonym, season, ["UREA"]), balance, released=True)
    expect.check_printed(printed, expected)
    paper = printed["text"].splitlines()
    assert paper[3].strip() == "PENJUALAN / SALE" and "Pupuk diserahkan / Fertilizer released" in paper
    assert expect.masked(farmer.nik) in printed["text"] and farmer.nik not in printed["text"]
    assert f"  Lunas s/d / Paid through {' ' * 8}{_month(done['bpjs']['paid_through_after'])}" in paper
    # a reprint is the same receipt between two "SALINAN / COPY" banners; the same request prints once
    mark = printed_number(world)
    first = client.post(f"/api/v1/checkouts/{done['id']}/reprint", headers={"Idempotency-Key": "reprint-0001"})
    again = client.post(f"/api/v1/checkouts/{done['id']}/reprint", headers={"Idempotency-Key": "reprint-0001"})
    assert first.status_code == again.status_code == 201
    assert first.get_json()["state"] == "printed" and first.get_json()["key"] == again.get_json()["key"]
    [copy] = printed_since(world, mark)
    expect.check_printed(copy, as_copy(expected))
    assert copy["text"].splitlines()[0].strip() == "SALINAN / COPY"
    assert client.get(f"/api/v1/checkouts/{done['id']}").get_json()["receipt"]["copies"] == 1
    # the worker finds nothing left to print: the sale's receipt is never printed twice
    with world.app.app_context():
        print_receipts(checkout_deps())
    assert printed_since(world, mark) == [copy]


def test_contribution_only_and_cash_top_up_receipts(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "one_behind", skip=1)
    kiosk = world.kiosk_of(farmer)
    client, checkout = world.swipe(farmer)
    mark = printed_number(world)
    assert world.confirm(client, checkout["id"], {}, pin=farmer.pin).status_code == 202
    done = world.wait(client, checkout["id"], until=("completed",))
    assert done["state"] == "completed" and done["fertilizer_released"] is False
    wait_receipt(world, client, done["id"], states=("printed",))
    pseudonym = done["farmer"]["pseudonym"]
    with world.session() as s:
        balance = card_balance(s, pseudonym)
    [printed] = printed_since(world, mark)
    expect.check_printed(printed, ContributionReceipt(
        expect.header(world, kiosk, done["journal_id"], f"op-{kiosk.lower()}", farmer),
        Contribution(done["bpjs"]["kpj"], 1, 16_800, _month(done["bpjs"]["paid_through_after"])), Tender.CARD_BALANCE,
        expect.penyuluh(world, farmer), balance))
    # the farmer tops the card up with cash; the card in the reader says who (verified by the web side)
    mark = printed_number(world)
    topup = client.post("/api/v1/topups", json={"amount": 100_000}, headers={"Idempotency-Key": "topup-e2e-0001"})
    assert topup.status_code == 201, topup.get_json()
    body = topup.get_json()
    assert body["farmer"] == pseudonym and body["balance_after"] == balance + 100_000
    assert body["receipt"]["state"] == "printed" and body["receipt"]["key"] == f"topup:{body['journal_id']}"
    [slip] = printed_since(world, mark)
    expect.check_printed(slip, TopUpReceipt(
        expect.header(world, kiosk, body["journal_id"], f"op-{kiosk.lower()}", farmer), 100_000, balance + 100_000))
    replay = client.post("/api/v1/topups", json={"amount": 100_000}, headers={"Idempotency-Key": "topup-e2e-0001"})
    assert replay.status_code == 200 and replay.get_json()["replayed"] is True
    assert replay.get_json()["journal_id"] == body["journal_id"] and replay.get_json()["balance_after"] == balance + 100_000
    other = client.post("/api/v1/topups", json={"amount": 50_000}, headers={"Idempotency-Key": "topup-e2e-0001"})
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "idempotency_conflict"
    with world.session() as s:
        assert card_balance(s, pseudonym) == balance + 100_000
    assert printed_since(world, mark) == [slip]


def test_printer_unplugged_mid_receipt_sale_stands_receipt_queued_then_printed_once(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "paid_up")
    kiosk = world.kiosk_of(farmer)
    mark = printed_number(world)
    world.stack.printer_control.faults(offline="drop", after_bytes=300)  # the cable comes out 300 bytes in
    client, done = _buy(world, farmer, {"UREA": 50})
    view = wait_receipt(world, client, done["id"])
    receipt = view["receipt"]
    assert view["state"] == "completed" and view["fertilizer_released"] is True  # the sale stands
    assert receipt["state"] == "queued" and receipt["reason"] == "printer_offline"
    assert receipt["key"] == sale_key(uuid.UUID(done["journal_id"]))
    assert "antrean" in receipt["message_id"] and "queue" in receipt["message_en"]
    assert printed_since(world, mark) == []  # the half-printed receipt was lost with the cable
    world.stack.printer_control.faults(offline=False)  # plugged back in: the agent prints its queue
    with world.app.app_context():
        deadline = time.monotonic() + 15
        while (state := client.get(f"/api/v1/checkouts/{done['id']}").get_json()["receipt"])["state"] != "printed":
            assert time.monotonic() < deadline, state
            print_receipts(checkout_deps())  # the worker's job asks the agent about queued receipts
            time.sleep(0.05)
    assert state["message_en"].startswith("The receipt was printed") and state["attempts"] >= 1
    line = done["selection"]["lines"][0]
    pseudonym, season = done["farmer"]["pseudonym"], done["decision"]["season"]
    with world.session() as s:
        balance = card_balance(s, pseudonym)
    [printed] = printed_since(world, mark)
    expect.check_printed(printed, SaleReceipt(
        expect.header(world, kiosk, done["journal_id"], f"op-{kiosk.lower()}", farmer),
        (ProductLine("Urea", line["kg"], line["price_per_kg"]),), Tender.CARD_BALANCE, None,
        expect.penyuluh(world, farmer), _quota(world, pseudonym, season, ["UREA"]), balance, released=True))
    with world.app.app_context():
        print_receipts(checkout_deps())
    time.sleep(0.5)  # two more rounds of the agent's retry loop
    assert len(printed_since(world, mark)) == 1  # printed once
