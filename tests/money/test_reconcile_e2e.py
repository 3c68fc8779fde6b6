"""Daily reconciliation against the BPJS sandbox's settlement list, end to end (issue 9).

Differences are injected honestly: a payment booked at BPJS with the kiosk's own partner keys but
never recorded by the kiosk (missing in the ledger); a payment BPJS booked for 2 months that the
ledger recorded as 1 (amount difference); a journal the ledger posted as paid that BPJS never booked
(missing at BPJS, as when a stuck payment is wrongly resolved as posted)."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa

import ledger
from bpjs_link import Month
from kiosk import chart
from kiosk.models import Role
from ledger import IDR, JournalKind, JournalSpec, Leg
from ledger.schema import entries
from tests.support.kiosk_stack import DemoFarmer, KioskWorld, pick, staff

WIB = timezone(timedelta(hours=7))


def _pay_at_host(world: KioskWorld, farmer: DemoFarmer, months: int, request_id: str) -> None:
    """BPJS books a payment under ``request_id`` that the kiosk's checkout never made."""
    record = world.bpjs.participant(farmer.nik)
    with world.bpjs.client() as host:
        host.pay(host.new_payment(request_id=request_id, kpj=record["kpj"], months=months, amount=16_800 * months,
                                  expected_paid_through=Month.parse(record["paidThrough"])))


def _ledger_payment(world: KioskWorld, kiosk: str, request_id: str, amount: int) -> None:
    """A posted journal of ours saying BPJS drew ``amount`` for ``request_id``."""
    now = datetime.now(UTC)
    with world.session() as s:
        acc = chart.kiosk_accounts(s, kiosk, now=now)
        legs = [Leg(acc.cash, acc.collection, IDR, amount), Leg(acc.deposit, acc.bpjs_host, IDR, amount)]
        ledger.submit(s, JournalSpec(f"injected:{request_id}", JournalKind.CONTRIBUTION, legs, kiosk=kiosk,
                                     remote_ref=request_id, memo={"injected": "test"}), now=now)
        s.commit()


def test_reconciliation_finds_missing_payments_and_amount_differences(world: KioskWorld, population) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "one_behind", skip=4)
    kiosk = world.kiosk_of(farmer)
    client, checkout = world.swipe(farmer)
    assert world.confirm(client, checkout["id"], {}, pin=farmer.pin).status_code == 202
    paid = world.wait(client, checkout["id"], until=("completed",))
    assert paid["state"] == "completed"
    unrecorded, doubled, unbooked = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    _pay_at_host(world, pick(population, "one_behind", skip=5), 1, unrecorded)
    _pay_at_host(world, pick(population, "two_behind"), 2, doubled)
    _ledger_payment(world, kiosk, doubled, 16_800)
    _ledger_payment(world, kiosk, unbooked, 16_800)
    supervisor = staff(world, Role.SUPERVISOR, "spv-recon")
    day = datetime.now(WIB).date().isoformat()
    assert client.post("/api/v1/reconciliations", json={"day": day}).status_code == 403
    run = supervisor.post("/api/v1/reconciliations", json={"day": day})
    assert run.status_code == 201, run.get_json()
    body = run.get_json()
    assert (body["matched"], body["amount_mismatch"], body["missing_in_ledger"], body["missing_at_host"]) == (1, 1, 1, 1)
    assert body["host_count"] == 3 and body["host_total"] == 16_800 * 4 and body["exceptions_opened"] == 3
    status = {ln["request_id"]: ln for ln in body["lines"]}
    assert status[paid["journal_id"]]["status"] == "matched" and status[paid["journal_id"]]["kiosk"] == kiosk
    assert status[unrecorded]["status"] == "missing_in_ledger" and status[unrecorded]["ledger_amount"] is None
    assert (status[doubled]["status"], status[doubled]["host_amount"], status[doubled]["ledger_amount"],
            status[doubled]["difference"]) == ("amount_mismatch", 33_600, 16_800, 16_800)
    assert status[unbooked]["status"] == "missing_at_host" and status[unbooked]["host_amount"] is None
    exported = supervisor.get(f"/api/v1/reconciliations/{day}?format=csv")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = {r["request_id"]: r for r in csv.DictReader(io.StringIO(exported.get_data(as_text=True)))}
    assert {r: rows[r]["status"] for r in rows} == {r: ln["status"] for r, ln in status.items()}
    assert rows[doubled]["difference"] == "16800" and rows[unbooked]["difference"] == "-16800"
    # each difference is an open exception; a supervisor resolves one with a reason (audited)
    opened = supervisor.get("/api/v1/reconciliation-exceptions").get_json()["exceptions"]
    assert sorted(e["kind"] for e in opened) == ["amount_mismatch", "missing_at_host", "missing_in_ledger"]
    target = next(e for e in opened if e["request_id"] == unbooked)
    short = supervisor.post(f"/api/v1/reconciliation-exceptions/{target['id']}/resolve", json={"reason": "ok"})
    assert short.status_code == 400 and short.get_json()["error"]["code"] == "bad_reason"
    reason = "Dibayar ulang lewat kanal lain; dicatat manual"
    done = supervisor.post(f"/api/v1/reconciliation-exceptions/{target['id']}/resolve", json={"reason": reason})
    assert done.status_code == 200 and done.get_json()["resolved_by"] == "spv-recon"
    again = supervisor.post(f"/api/v1/reconciliation-exceptions/{target['id']}/resolve", json={"reason": reason})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_resolved"
    with world.session() as s:
        audited = [json.loads(bytes(b))["payload"] for b in s.scalars(
            sa.select(entries.c.body).where(entries.c.kind == "kiosk.reconciliation_resolved"))]
    assert audited == [{"exception": target["id"], "day": day, "kind": "missing_at_host", "request_id": unbooked,
                        "host_amount": None, "ledger_amount": 16_800, "supervisor": "spv-recon", "reason": reason}]
    # running the day again reports the same differences and opens nothing new
    rerun = supervisor.post("/api/v1/reconciliations", json={"day": day}).get_json()
    assert rerun["exceptions_opened"] == 0 and rerun["matched"] == 1 and len(rerun["lines"]) == 4
    assert len(supervisor.get("/api/v1/reconciliation-exceptions").get_json()["exceptions"]) == 2
