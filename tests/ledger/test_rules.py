"""The ledger's invariants as pure functions (no database)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ledger as L
from ledger.model import AccountFacts
from ledger.rules import Counters, apply_with_limits, check_accounts, leg_deltas, settle_deltas, shortfall, spec_digest

A, B, C = sorted(uuid.uuid4() for _ in range(3))
D, CR, N = L.Limit.DEBITS_MUST_NOT_EXCEED_CREDITS, L.Limit.CREDITS_MUST_NOT_EXCEED_DEBITS, L.Limit.NONE


def test_shortfall_counts_pending_debits_but_not_pending_credits() -> None:
    assert shortfall(D, Counters(debits_posted=60, credits_posted=100, debits_pending=40)) == 0
    assert shortfall(D, Counters(debits_posted=60, credits_posted=100, debits_pending=41)) == 1
    assert shortfall(D, Counters(debits_posted=10, credits_pending=100)) == 10  # pending credits do not help
    assert shortfall(CR, Counters(credits_posted=5, debits_posted=4)) == 1
    assert shortfall(CR, Counters(credits_pending=5, debits_posted=4)) == 1
    assert shortfall(N, Counters(debits_posted=10**9)) == 0


def test_leg_and_settle_deltas() -> None:
    legs = [L.Leg(A, B, L.IDR, 7), L.Leg(A, C, L.IDR, 3)]
    pending = leg_deltas(legs, pending=True)
    assert pending[A] == Counters(debits_pending=10) and pending[B] == Counters(credits_pending=7)
    assert leg_deltas(legs, pending=False)[A] == Counters(debits_posted=10)
    post = settle_deltas(legs, post=True)
    assert pending[A] + post[A] == Counters(debits_posted=10)
    void = settle_deltas(legs, post=False)
    assert (pending[C] + void[C]).is_zero


def test_apply_with_limits_reports_the_first_account_short() -> None:
    accounts = {A: AccountFacts(A, L.IDR, D, False), B: AccountFacts(B, L.IDR, N, False)}
    counters = {A: Counters(credits_posted=100)}
    new = apply_with_limits(counters, {A: Counters(debits_posted=100), B: Counters(credits_posted=100)}, accounts)
    assert new == {A: Counters(debits_posted=100, credits_posted=100)}  # sinks are not in the result
    with pytest.raises(L.LimitExceeded) as err:
        apply_with_limits(counters, {A: Counters(debits_pending=101)}, accounts)
    assert (err.value.account_id, err.value.asset, err.value.shortfall) == (A, L.IDR, 1)
    assert err.value.fields == {"account_id": str(A), "asset": "IDR", "shortfall": 1}


def test_check_accounts() -> None:
    legs = [L.Leg(A, B, L.IDR, 1)]
    ok = {A: AccountFacts(A, L.IDR, D, False), B: AccountFacts(B, L.IDR, N, False)}
    check_accounts(legs, ok)
    with pytest.raises(L.UnknownAccount):
        check_accounts(legs, {A: ok[A]})
    with pytest.raises(L.AccountClosed):
        check_accounts(legs, {**ok, B: AccountFacts(B, L.IDR, N, True)})
    with pytest.raises(L.AssetMismatch) as err:
        check_accounts(legs, {**ok, B: AccountFacts(B, "KG:UREA", N, False)})
    assert err.value.fields["leg"] == 0 and err.value.fields["account_asset"] == "KG:UREA"


def test_spec_digest_sees_every_part_of_the_body() -> None:
    leg = L.Leg(A, B, L.IDR, 5)
    base = L.JournalSpec("k", L.JournalKind.REDEMPTION, [leg], pending=True, timeout=timedelta(minutes=5))
    same = L.JournalSpec("k", L.JournalKind.REDEMPTION, (leg,), pending=True, timeout=timedelta(seconds=300))
    assert spec_digest(base) == spec_digest(same)
    variants = [
        L.JournalSpec("k", L.JournalKind.ADJUSTMENT, [leg], pending=True, timeout=timedelta(minutes=5)),
        L.JournalSpec("k", L.JournalKind.REDEMPTION, [L.Leg(A, B, L.IDR, 6)], pending=True, timeout=timedelta(minutes=5)),
        L.JournalSpec("k", L.JournalKind.REDEMPTION, [leg], pending=True, timeout=timedelta(minutes=6)),
        L.JournalSpec("k", L.JournalKind.REDEMPTION, [leg], pending=True),
        L.JournalSpec("k", L.JournalKind.REDEMPTION, [leg]),
        L.JournalSpec("k", L.JournalKind.REDEMPTION, [leg], pending=True, remote_ref="r"),
        L.JournalSpec("k", L.JournalKind.REDEMPTION, [leg], pending=True, timeout=timedelta(minutes=5), kiosk="K"),
        L.JournalSpec("k", L.JournalKind.REDEMPTION, [leg], pending=True, timeout=timedelta(minutes=5), farmer="F"),
        L.JournalSpec("k", L.JournalKind.REDEMPTION, [leg], pending=True, timeout=timedelta(minutes=5), memo={"a": "b"}),
        L.JournalSpec("k", L.JournalKind.REDEMPTION, [leg], pending=True, timeout=timedelta(minutes=5), journal_id=C),
    ]
    digests = {spec_digest(v) for v in variants}
    assert len(digests) == len(variants) and spec_digest(base) not in digests


@given(st.lists(st.tuples(st.sampled_from([A, B, C]), st.sampled_from([A, B, C]), st.integers(1, 10**6)), min_size=1, max_size=12),
       st.booleans())
def test_every_journal_moves_zero_in_total(raw: list[tuple[uuid.UUID, uuid.UUID, int]], pending: bool) -> None:
    legs = [L.Leg(d, c, L.IDR, m) for d, c, m in raw if d != c]
    if not legs:
        return
    total = Counters()
    for d in leg_deltas(legs, pending=pending).values():
        total = total + d
    assert total.debits_posted == total.credits_posted and total.debits_pending == total.credits_pending
    after = Counters()
    for account, d in leg_deltas(legs, pending=True).items():
        after = after + d + settle_deltas(legs, post=True)[account]
    assert after.debits_pending == after.credits_pending == 0
