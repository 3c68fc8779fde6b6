"""Domain values refuse bad input on construction, with a named error (pure, no database)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

import ledger as L
from ledger.model import AccountFacts

A, B = uuid.uuid4(), uuid.uuid4()


def test_assets() -> None:
    assert L.kg_asset("UREA") == "KG:UREA"
    assert L.check_asset("IDR") == "IDR"
    assert L.check_asset("KG:NPK_FK") == "KG:NPK_FK"
    for bad in ("idr", "KG:", "KG:urea", "USD", "KG:UREA ", None, 5):
        with pytest.raises(L.InvalidInput):
            L.check_asset(bad)
    with pytest.raises(L.InvalidInput):
        L.kg_asset("urea")


@pytest.mark.parametrize("amount", [0, -1, 2**53, 1.5, True, "5", None])
def test_leg_refuses_bad_amounts(amount: object) -> None:
    with pytest.raises(L.BadAmount) as err:
        L.Leg(A, B, L.IDR, amount)  # type: ignore[arg-type]
    assert err.value.code == "bad_amount"
    assert err.value.fields["maximum"] == L.MAX_AMOUNT


def test_leg_refuses_one_account_on_both_sides_and_bad_ids() -> None:
    with pytest.raises(L.UnbalancedJournal):
        L.Leg(A, A, L.IDR, 5)
    with pytest.raises(L.InvalidInput):
        L.Leg(str(A), B, L.IDR, 5)  # type: ignore[arg-type]
    assert L.Leg(A, B, L.IDR, L.MAX_AMOUNT).amount == L.MAX_AMOUNT


def test_journal_spec_validation() -> None:
    leg = L.Leg(A, B, L.IDR, 5)
    ok = L.JournalSpec("k-1", "redemption", [leg], memo={"het": "1800"})  # type: ignore[arg-type]
    assert ok.kind is L.JournalKind.REDEMPTION and ok.legs == (leg,) and dict(ok.memo) == {"het": "1800"}
    with pytest.raises(L.UnbalancedJournal):
        L.JournalSpec("k-1", L.JournalKind.REDEMPTION, [])
    with pytest.raises(L.InvalidInput):
        L.JournalSpec("k 1", L.JournalKind.REDEMPTION, [leg])  # space in key
    with pytest.raises(L.InvalidInput):
        L.JournalSpec("k-1", "sale", [leg])  # type: ignore[arg-type]
    with pytest.raises(L.InvalidInput):
        L.JournalSpec("k-1", L.JournalKind.REDEMPTION, [leg] * (65))
    with pytest.raises(L.InvalidInput):
        L.JournalSpec("k-1", L.JournalKind.REDEMPTION, [leg], timeout=timedelta(minutes=5))  # not pending
    with pytest.raises(L.InvalidInput):
        L.JournalSpec("k-1", L.JournalKind.REDEMPTION, [leg], pending=True, remote_ref="r", timeout=timedelta(minutes=5))
    with pytest.raises(L.InvalidInput):
        L.JournalSpec("k-1", L.JournalKind.REDEMPTION, [leg], pending=True, timeout=timedelta(0))
    with pytest.raises(L.InvalidInput):
        L.JournalSpec("k-1", L.JournalKind.REDEMPTION, [leg], memo={"Bad Key": "x"})
    with pytest.raises(L.InvalidInput):
        L.JournalSpec("k-1", L.JournalKind.REDEMPTION, [leg], kiosk="K\n1")
    with pytest.raises(L.InvalidInput):
        L.JournalSpec("k-1", L.JournalKind.REDEMPTION, [leg], farmer="\ud800")  # lone surrogate
    with pytest.raises(L.InvalidInput):
        L.JournalSpec("k-1", L.JournalKind.REDEMPTION, [leg], pending=1)  # type: ignore[arg-type]
    assert L.JournalSpec("k-1", L.JournalKind.CONTRIBUTION, [leg], pending=True, remote_ref="r").remote


def test_spec_memo_is_frozen() -> None:
    memo = {"het": "1800"}
    spec = L.JournalSpec("k-1", L.JournalKind.REDEMPTION, [L.Leg(A, B, L.IDR, 5)], memo=memo)
    memo["het"] = "9999"
    assert spec.memo["het"] == "1800"
    with pytest.raises(TypeError):
        spec.memo["het"] = "1"  # type: ignore[index]


def test_account_spec_validation() -> None:
    assert L.AccountSpec("card:F-1", "card", L.IDR, L.Limit.DEBITS_MUST_NOT_EXCEED_CREDITS).key == "card:F-1"
    for kw in ({"key": ""}, {"key": "a b"}, {"kind": "Card"}, {"asset": "kg"}, {"limit": "none"}, {"owner": ""}):
        args = {"key": "k", "kind": "card", "asset": L.IDR, "limit": L.Limit.NONE, **kw}
        with pytest.raises(L.InvalidInput):
            L.AccountSpec(**args)  # type: ignore[arg-type]


def test_balance_derived_figures() -> None:
    card = L.Balance(A, L.IDR, L.Limit.DEBITS_MUST_NOT_EXCEED_CREDITS, 300, 1000, 200, 50)
    assert card.net_posted == -700 and card.net_pending == 150 and card.available == 500
    loan = L.Balance(A, L.IDR, L.Limit.CREDITS_MUST_NOT_EXCEED_DEBITS, 1000, 300, 50, 200)
    assert loan.available == 500
    sink = L.Balance(A, L.IDR, L.Limit.NONE, 5, 0, 0, 0)
    assert sink.available is None and sink.net_posted == 5


def test_account_facts_and_accounts_share_what_the_rules_read() -> None:
    facts = AccountFacts(A, L.IDR, L.Limit.NONE, False)
    assert not facts.limited and not facts.closed
