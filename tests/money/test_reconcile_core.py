"""Matching BPJS's settlement list with the ledger (pure): every host payment is reported exactly
once; every journal posted that day that BPJS does not list is missing at BPJS, unless the previous
day's list has it; matched means same request and same amount."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.money.reconcile_core import HostPayment, LedgerPayment, Status, counts, reconcile

AT = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
ids = st.sampled_from([f"req-{i}" for i in range(12)])
amounts = st.sampled_from([16_800, 33_600, 50_400])


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[HostPayment], dict[str, LedgerPayment], list[LedgerPayment], set[str]]:
    host_ids = draw(st.lists(ids, unique=True, max_size=8))
    host = [HostPayment(r, f"BPJS-{r}", "2699000001", 1, draw(amounts), AT) for r in host_ids]
    ours_ids = draw(st.lists(ids, unique=True, max_size=8))
    ours = {r: LedgerPayment(r, uuid.uuid4(), "KIOS-001", draw(amounts), draw(st.sampled_from(["posted", "pending", "voided"])))
            for r in ours_ids}
    posted_today = [p for p in ours.values() if p.state == "posted" and draw(st.booleans())]
    previous = set(draw(st.lists(ids, max_size=3)))
    return host, ours, posted_today, previous


@settings(max_examples=300, deadline=None)
@given(worlds())
def test_every_payment_is_classified_once_and_rightly(world: tuple) -> None:  # type: ignore[type-arg]
    host, ours, posted_today, previous = world
    lines = reconcile(host, ours, posted_today, previous)
    host_lines = lines[:len(host)]
    assert [ln.request_id for ln in host_lines] == [h.request_id for h in host]
    for h, ln in zip(host, host_lines):
        mine = ours.get(h.request_id)
        expected = (Status.MISSING_IN_LEDGER if mine is None or mine.state != "posted"
                    else Status.MATCHED if mine.amount == h.amount else Status.AMOUNT_MISMATCH)
        assert ln.status is expected and ln.host_amount == h.amount
        assert ln.difference == h.amount - (mine.amount if mine else 0)
    missing = lines[len(host):]
    listed = {h.request_id for h in host} | previous
    assert {ln.request_id for ln in missing} == {p.request_id for p in posted_today if p.request_id not in listed}
    assert all(ln.status is Status.MISSING_AT_HOST and ln.host_amount is None and ln.difference < 0 for ln in missing)
    assert sum(counts(lines).values()) == len(lines)


def test_a_payment_booked_before_midnight_and_posted_after_is_not_missing() -> None:
    late = LedgerPayment("req-1", uuid.uuid4(), "KIOS-001", 16_800, "posted")
    assert reconcile([], {"req-1": late}, [late], previous_day_ids=["req-1"]) == []
    [line] = reconcile([], {"req-1": late}, [late], previous_day_ids=[])
    assert line.status is Status.MISSING_AT_HOST and line.ledger_amount == 16_800
