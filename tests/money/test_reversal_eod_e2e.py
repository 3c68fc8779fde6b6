"""Reversals and the end of day end to end (issue 9): a supervisor reverses a sale that also paid a
BPJS contribution (BPJS and the contribution stay untouched), and a kiosk's day closed from the
ledger equals the ledger's own balances."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

import fertilizer
import ledger
from fertilizer import WITA
from kiosk.models import Role
from kiosk.money import card_balance, summarize_day
from kiosk.receipts import (
    DayProduct,
    EndOfDayReceipt,
    Header,
    ProductLine,
    Proof,
    QuotaLeft,
    ReversalReceipt,
    Tender,
)
from ledger.audit import leaf_hash
from ledger.schema import entries
from tests.money import expect
from tests.support.kiosk_stack import (
    DemoFarmer,
    KioskWorld,
    pick,
    printed_number,
    printed_since,
    staff,
    wait_receipt,
)

REASON = "Petani salah pilih pupuk; dibatalkan"


def _sale(world: KioskWorld, farmer: DemoFarmer, lines: dict[str, int], tender: str) -> tuple[Any, dict[str, Any]]:
    world.stack.remove_card(wait=True)  # the previous farmer takes their card
    client, checkout = world.swipe(farmer)
    allowed = {a["product"]: a for a in checkout["decision"]["allowed"]}
    lines = {p: min(kg, allowed[p]["max_kg"]) for p, kg in lines.items() if p in allowed}
    assert lines, f"the farmer may buy none of {lines}: {allowed}"
    assert world.confirm(client, checkout["id"], lines, tender, pin=farmer.pin).status_code == 202
    done = world.wait(client, checkout["id"], until=("completed",))
    assert done["state"] == "completed", done
    wait_receipt(world, client, done["id"])
    return client, done


def _net(world: KioskWorld, key: str) -> int:
    with world.session() as s:
        account = ledger.account_by_key(s, key)
        return 0 if account is None else ledger.balance(s, account.id).net_posted


def test_reversal_after_a_contribution_leaves_bpjs_untouched(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "one_behind", skip=3)
    kiosk = world.kiosk_of(farmer)
    _, checkout = world.swipe(farmer)
    pseudonym, season = checkout["farmer"]["pseudonym"], checkout["decision"]["season"]
    with world.session() as s:
        card0, quota0, stock0 = (card_balance(s, pseudonym), fertilizer.quota_left(s, pseudonym, season),
                                 fertilizer.stock_left(s, kiosk))
    client = world.operator(kiosk)
    assert world.confirm(client, checkout["id"], {"UREA": 50}, pin=farmer.pin).status_code == 202
    done = world.wait(client, checkout["id"], until=("completed",))
    wait_receipt(world, client, done["id"])
    agent = done["decision"]["agent"]
    host_before, person_before = world.bpjs.state(), world.bpjs.participant(farmer.nik)
    collection0, deposit0, fee0 = (_net(world, f"bpjs:collection:{kiosk}"), _net(world, f"bpjs:deposit:{kiosk}"),
                                   _net(world, f"agent:{agent}"))
    supervisor = staff(world, Role.SUPERVISOR, "spv-reversal")
    assert client.post(f"/api/v1/checkouts/{done['id']}/reverse", json={"reason": REASON},
                       headers={"Idempotency-Key": "reverse-0001"}).status_code == 403  # operators may not
    mark = printed_number(world)
    answer = supervisor.post(f"/api/v1/checkouts/{done['id']}/reverse", json={"reason": REASON},
                             headers={"Idempotency-Key": "reverse-0001"})
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    fertilizer_total = done["totals"]["fertilizer"]
    assert (body["refund"], body["refund_to"], body["contribution_kept"]) == (fertilizer_total, "card", 16_800)
    assert body["receipt"]["state"] == "printed"
    # BPJS: nothing asked, nothing changed; the contribution and the agent fee stand in the ledger
    assert world.bpjs.state() == host_before and world.bpjs.participant(farmer.nik) == person_before
    assert (_net(world, f"bpjs:collection:{kiosk}"), _net(world, f"bpjs:deposit:{kiosk}"),
            _net(world, f"agent:{agent}")) == (collection0, deposit0, fee0)
    with world.session() as s:
        original = ledger.journal(s, uuid.UUID(done["journal_id"]))
        assert original is not None and original.state is ledger.JournalState.POSTED
        assert card0 - card_balance(s, pseudonym) == 16_800  # only the contribution stays paid
        assert fertilizer.quota_left(s, pseudonym, season) == quota0 and fertilizer.stock_left(s, kiosk) == stock0
        balance = card_balance(s, pseudonym)
    line = done["selection"]["lines"][0]
    [printed] = printed_since(world, mark)
    at = expect.posted_at(world, body["reversal_journal_id"])
    expect.check_printed(printed, ReversalReceipt(
        expect.header(world, kiosk, body["reversal_journal_id"], f"op-{kiosk.lower()}", farmer, at=at),
        uuid.UUID(done["journal_id"]), "spv-reversal", REASON,
        (ProductLine("Urea", line["kg"], line["price_per_kg"]),), Tender.CARD_BALANCE, 16_800,
        (QuotaLeft("Urea", quota0["UREA"]),), balance))
    assert "Iuran BPJS Rp 16.800 tetap lunas, tidak" in printed["text"]
    replay = supervisor.post(f"/api/v1/checkouts/{done['id']}/reverse", json={"reason": REASON},
                             headers={"Idempotency-Key": "reverse-0001"})
    assert replay.status_code == 200 and replay.get_json()["reversal_journal_id"] == body["reversal_journal_id"]
    twice = supervisor.post(f"/api/v1/checkouts/{done['id']}/reverse", json={"reason": REASON},
                            headers={"Idempotency-Key": "reverse-0002"})
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "already_reversed"
    assert len(printed_since(world, mark)) == 1


def _pair(world: KioskWorld, population: list[DemoFarmer]) -> tuple[DemoFarmer, DemoFarmer]:
    """A paid-up farmer and one a month behind who redeem at the same kiosk."""
    behind = {world.kiosk_of(f): f for f in population if f.standing == "one_behind"}
    for f in population:
        if f.standing == "paid_up" and world.kiosk_of(f) in behind:
            return f, behind[world.kiosk_of(f)]
    raise LookupError("no kiosk with both a paid-up farmer and one a month behind")


def _days_since_seed(world: KioskWorld) -> list[Any]:
    with world.session() as s:
        first = s.scalar(sa.select(sa.func.min(entries.c.created_at)))
    start, today = first.astimezone(WITA).date(), datetime.now(WITA).date()
    return [start.fromordinal(d) for d in range(start.toordinal(), today.toordinal() + 1)]


def test_end_of_day_totals_equal_the_ledger(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    paid_up, behind = _pair(world, population)
    kiosk = world.kiosk_of(paid_up)
    _, cash_sale = _sale(world, behind, {"NPK": 40, "UREA": 20}, "cash")  # fertilizer and the contribution in cash
    client, card_sale = _sale(world, paid_up, {"UREA": 60, "NPK": 10, "ZA": 10}, "card")
    topup = client.post("/api/v1/topups", json={"amount": 75_000}, headers={"Idempotency-Key": "eod-topup-0001"})
    assert topup.status_code == 201, topup.get_json()
    supervisor = staff(world, Role.SUPERVISOR, "spv-eod")
    assert supervisor.post(f"/api/v1/checkouts/{cash_sale['id']}/reverse", json={"reason": REASON},
                           headers={"Idempotency-Key": "eod-reverse-0001"}).status_code == 201
    mark = printed_number(world)
    closed = client.post("/api/v1/end-of-day", json={"print": True})
    assert closed.status_code == 201, closed.get_json()
    kept = closed.get_json()
    with world.session() as s:  # every day since the database was seeded (usually just today)
        days = [summarize_day(s, kiosk, d).to_dict() for d in _days_since_seed(world)]
    assert days[-1] == kept["report"]

    def total(path: str) -> int:
        return sum(_dig(d, path) for d in days)

    assert total("fertilizer_net") == -_net(world, f"sales:{kiosk}")
    assert total("fertilizer_net") == card_sale["totals"]["fertilizer"]  # the cash sale was reversed
    assert total("contributions.total") == -_net(world, f"bpjs:collection:{kiosk}") == cash_sale["totals"]["contribution"]
    assert total("agent_fees.total") == -_net(world, f"agent:{cash_sale['decision']['agent']}")
    assert total("bpjs_deposit.funded") - total("bpjs_deposit.drawn") == -_net(world, f"bpjs:deposit:{kiosk}")
    assert days[-1]["cash"]["expected"] == _net(world, f"cash:{kiosk}") == 75_000 + 16_800
    assert total("topups.total") == 75_000 and total("reversals.count") == 1 and total("sales.count") == 2
    assert days[-1]["tender"] == {"card": card_sale["totals"]["fertilizer"], "cash": 16_800}
    for p in fertilizer.PRODUCT_CODES:
        rows = [r for d in days for r in d["products"] if r["product"] == p]
        received, net = sum(r["kg_received"] for r in rows), sum(r["kg_net"] for r in rows)
        assert received - net == -_net(world, f"stock:{kiosk}:{p}"), p
    assert all(d["checks"] == {"products_match_sales": True, "products_match_refunds": True} for d in days)
    # printed: the report with its audit entry as the proof; kept: listed for the day
    assert kept["receipt"]["state"] == "printed"
    [printed] = printed_since(world, mark)
    with world.session() as s:
        body = s.scalar(sa.select(entries.c.body).where(entries.c.id == uuid.UUID(kept["entry_id"])))
    r = kept["report"]
    at = datetime.fromisoformat(kept["generated_at"]).astimezone(UTC)
    expected = EndOfDayReceipt(
        Header(expect.kiosk(world, kiosk), at, f"op-{kiosk.lower()}", None,
               Proof(uuid.UUID(kept["entry_id"]), leaf_hash(bytes(body)))),
        datetime.fromisoformat(r["day"]).date(),
        tuple(DayProduct(fertilizer.product(p["product"]).name, p["sales"], p["kg_net"], p["rupiah_net"])
              for p in r["products"] if p["sales"] or p["kg_returned"]),
        r["sales"]["count"], r["fertilizer_net"], r["reversals"]["count"], r["reversals"]["total"],
        r["contributions"]["count"], r["contributions"]["total"], r["agent_fees"]["total"], r["topups"]["count"],
        r["topups"]["total"], r["tender"]["card"], r["tender"]["cash"], r["cash"]["opening"], r["cash"]["expected"])
    expect.check_printed(printed, expected)
    listed = client.get(f"/api/v1/end-of-day?day={r['day']}").get_json()["reports"]
    assert [k["id"] for k in listed] == [kept["id"]] and listed[0]["sha256"] == kept["sha256"]


def _dig(d: dict[str, Any], path: str) -> int:
    value: Any = d
    for part in path.split("."):
        value = value[part]
    return int(value)
