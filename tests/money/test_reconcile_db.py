"""Reconciliation on the database (both backends) against a settlement source that keeps BPJS's
shape (``bpjs_link.Settlement``); the real BPJS sandbox is test_reconcile_e2e's. Runs are kept,
exceptions are opened once, and the worker reconciles yesterday once, from 01:00 WIB on."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

import ledger
from bpjs_link import BpjsUnavailable, Month, Settlement, SettlementLine
from kiosk import chart
from kiosk.money import reconcile
from kiosk.money.schema import Reconciliation, ReconciliationException, ReconciliationLine
from kiosk.money.work import reconcile_yesterday
from kiosk.worker import JobContext
from ledger import IDR, JournalKind, JournalSpec, Leg
from tests.money.small import SmallKiosk

WIB = reconcile.WIB
DAY = date(2026, 12, 3)


class FakeBpjs:
    """BPJS's settlement service: the payments it booked per WIB day (``SettlementSource``)."""

    def __init__(self) -> None:
        self.booked: dict[date, list[SettlementLine]] = {}
        self.down = False
        self.asked: list[date] = []

    def book(self, day: date, request_id: str, amount: int) -> None:
        paid_at = datetime.combine(day, time(10), WIB)
        self.booked.setdefault(day, []).append(SettlementLine(f"BPJS{len(self.asked)}{request_id[:6]}", request_id,
                                                               "2699000001", amount // 16_800, amount, Month(2026, 12), paid_at))

    def settlement(self, day: date) -> Settlement:
        self.asked.append(day)
        if self.down:
            raise BpjsUnavailable("BPJS tidak menjawab.", "BPJS does not answer.")
        lines = tuple(self.booked.get(day, []))
        return Settlement(day, lines, sum(p.amount for p in lines), 9_000_000)


def _paid(small: SmallKiosk, request_id: str, amount: int, posted_at: datetime) -> None:
    with small.sessions.begin() as s:
        acc = chart.kiosk_accounts(s, small.kiosk, now=posted_at)
        legs = [Leg(acc.cash, acc.collection, IDR, amount), Leg(acc.deposit, acc.bpjs_host, IDR, amount)]
        ledger.submit(s, JournalSpec(f"paid:{request_id}", JournalKind.CONTRIBUTION, legs, kiosk=small.kiosk,
                                     remote_ref=request_id), now=posted_at)


def test_a_run_is_kept_and_each_difference_opens_one_exception(small: SmallKiosk) -> None:
    host = FakeBpjs()
    noon = datetime.combine(DAY, time(12), WIB)
    same, late, short, lost = (str(uuid.uuid4()) for _ in range(4))
    for request_id, amount in ((same, 16_800), (short, 33_600)):
        host.book(DAY, request_id, amount)
        _paid(small, request_id, 16_800, noon)
    host.book(DAY - timedelta(days=1), late, 16_800)  # booked at 23:59 WIB the day before, posted today
    _paid(small, late, 16_800, noon)
    _paid(small, lost, 16_800, noon)  # the ledger says paid; BPJS never booked it
    run = reconcile.run(small.sessions, host, DAY, actor="spv", now=lambda: noon + timedelta(days=1))
    assert host.asked == [DAY, DAY - timedelta(days=1)]
    statuses = {ln.request_id: ln.status.value for ln in run.lines}
    assert statuses == {same: "matched", short: "amount_mismatch", lost: "missing_at_host"}
    r = run.reconciliation
    assert (r.host_count, r.host_total, r.ledger_count, r.ledger_total) == (2, 50_400, 3, 50_400)
    assert (r.matched, r.amount_mismatch, r.missing_at_host, r.missing_in_ledger, run.opened) == (1, 1, 1, 0, 2)
    assert r.host_deposit_balance == 9_000_000
    again = reconcile.run(small.sessions, host, DAY, actor="spv", now=lambda: noon + timedelta(days=1))
    assert again.opened == 0
    with small.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Reconciliation)) == 2
        assert s.scalar(sa.select(sa.func.count()).select_from(ReconciliationException)) == 2
        kept = reconcile.latest(s, DAY)
        assert kept is not None and kept.id == again.reconciliation.id
        text = reconcile.csv_text(kept, reconcile.lines_of(s, kept.id))
    assert text.splitlines()[0] == ",".join(reconcile.CSV_HEADER) and len(text.splitlines()) == 4


def test_runs_and_their_lines_are_append_only(small: SmallKiosk) -> None:
    host = FakeBpjs()
    host.book(DAY, str(uuid.uuid4()), 16_800)
    run = reconcile.run(small.sessions, host, DAY, actor="spv", now=lambda: datetime.combine(DAY, time(23), WIB))
    for statement in (sa.update(Reconciliation).values(matched=1), sa.delete(ReconciliationLine),
                      sa.delete(Reconciliation).where(Reconciliation.id == run.reconciliation.id)):
        with pytest.raises(IntegrityError), small.sessions.begin() as s:
            s.execute(statement)


def test_the_worker_reconciles_yesterday_once_from_one_in_the_morning(small: SmallKiosk) -> None:
    host = FakeBpjs()
    host.book(DAY, str(uuid.uuid4()), 16_800)
    deps = dataclasses.replace(small.deps(datetime.combine(DAY, time(12), WIB)), bpjs=host)

    def job(at: datetime) -> int:
        return reconcile_yesterday(JobContext(small.sessions, lambda: at), deps)

    next_day = datetime.combine(DAY + timedelta(days=1), time(0), WIB)
    assert job(next_day + timedelta(minutes=30)) == 0 and host.asked == []  # before 01:00 WIB: wait
    host.down = True
    assert job(next_day + timedelta(hours=2)) == 0  # BPJS unreachable: nothing kept, tried again later
    host.down = False
    assert job(next_day + timedelta(hours=2, minutes=10)) == 1
    assert job(next_day + timedelta(hours=5)) == 0  # done for that day
    with small.sessions() as s:
        runs = list(s.scalars(sa.select(Reconciliation)))
    assert [(r.day, r.actor, r.host_count, r.missing_in_ledger) for r in runs] == [(DAY, "worker", 1, 1)]


def test_a_payment_booked_at_bpjs_whose_journal_is_still_pending_opens_no_exception(small: SmallKiosk) -> None:
    host = FakeBpjs()
    noon = datetime.combine(DAY, time(12), WIB)
    in_flight = str(uuid.uuid4())
    host.book(DAY, in_flight, 16_800)
    with small.sessions.begin() as s:  # the checkout's journal: PENDING until the worker sees the payment booked
        acc = chart.kiosk_accounts(s, small.kiosk, now=noon)
        legs = [Leg(acc.cash, acc.collection, IDR, 16_800), Leg(acc.deposit, acc.bpjs_host, IDR, 16_800)]
        pending = ledger.submit(s, JournalSpec(f"paid:{in_flight}", JournalKind.CONTRIBUTION, legs, kiosk=small.kiosk,
                                               remote_ref=in_flight, pending=True), now=noon)
    first = reconcile.run(small.sessions, host, DAY, actor="spv", now=lambda: noon + timedelta(minutes=1))
    assert [(ln.status.value, ln.ledger_state) for ln in first.lines] == [("missing_in_ledger", "pending")]
    assert first.opened == 0
    with small.sessions.begin() as s:
        ledger.post(s, pending.journal_id, now=noon + timedelta(minutes=2))
    later = reconcile.run(small.sessions, host, DAY, actor="spv", now=lambda: noon + timedelta(minutes=3))
    assert [ln.status.value for ln in later.lines] == ["matched"] and later.opened == 0
    with small.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ReconciliationException)) == 0
