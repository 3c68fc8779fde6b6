"""Kiosk stock: receipts by delivery order, replays, conflicts, what is left (both backends)."""

from __future__ import annotations

from datetime import date

import pytest

import ledger
from fertilizer.errors import FertilizerError, RegistryError, StockError
from fertilizer.stock import receive_stock, stock_accounts, stock_left
from tests.fertilizer.world import NOW, World, snapshot


def _receive(world: World, **changes: object) -> ledger.JournalResult:
    args: dict[str, object] = dict(outlet_code="KIOS-001", product_code="UREA", kg=5_000, delivery_order="DO-2026-000123",
                                   delivered_on=date(2026, 12, 1), now=NOW)
    args.update(changes)
    with world.sessions.begin() as s:
        return receive_stock(s, **args)  # type: ignore[arg-type]


def test_a_receipt_credits_the_stock_from_the_supply(world: World) -> None:
    result = _receive(world)
    assert not result.replayed and result.state is ledger.JournalState.POSTED
    with world.sessions() as s:
        assert stock_left(s, "KIOS-001") == {"UREA": 5_000} and stock_left(s, "KIOS-002") == {}
        journal = ledger.journal_by_key(s, "stock_receipt:DO-2026-000123")
        assert journal is not None and journal.id == result.journal_id and journal.kiosk == "KIOS-001"
        assert journal.kind is ledger.JournalKind.STOCK_RECEIPT
        assert dict(journal.memo) == {"delivered_on": "2026-12-01", "delivery_order": "DO-2026-000123", "product": "UREA"}
        supply = ledger.account_by_key(s, "supply:KIOS-001:UREA")
        stock = stock_accounts(s, "KIOS-001")["UREA"]
        assert supply is not None and journal.legs == (ledger.Leg(supply.id, stock, "KG:UREA", 5_000),)
        assert ledger.get_account(s, stock).limit is ledger.Limit.DEBITS_MUST_NOT_EXCEED_CREDITS
        assert result.balances[stock].available == 5_000


def test_the_same_delivery_order_again_changes_nothing(world: World) -> None:
    first = _receive(world)
    with world.sessions() as s:
        before = snapshot(s)
    again = _receive(world, delivery_order=" do-2026-000123 ")  # the number is trimmed and upper-cased
    assert again.replayed and again.journal_id == first.journal_id
    with world.sessions() as s:
        assert snapshot(s) == before and stock_left(s, "KIOS-001") == {"UREA": 5_000}


@pytest.mark.parametrize("changes", [
    {"kg": 4_000}, {"product_code": "NPK"}, {"outlet_code": "KIOS-002"}, {"delivered_on": date(2026, 11, 30)},
])
def test_the_same_delivery_order_with_another_body_is_a_conflict(world: World, changes: dict[str, object]) -> None:
    first = _receive(world)
    with world.sessions() as s:
        before = snapshot(s)
    with pytest.raises(StockError) as err:
        _receive(world, **changes)
    assert err.value.code == "delivery_order_conflict"
    assert err.value.fields == {"delivery_order": "DO-2026-000123", "journal_id": str(first.journal_id)}
    assert "DO-2026-000123" in err.value.message_id and "DO-2026-000123" in err.value.message_en
    with world.sessions() as s:  # not even the other outlet's or product's accounts were opened
        assert snapshot(s) == before


def test_a_conflict_inside_a_larger_transaction_leaves_it_usable(world: World) -> None:
    _receive(world)
    with world.sessions.begin() as s:
        with pytest.raises(StockError):
            receive_stock(s, outlet_code="KIOS-002", product_code="NPK", kg=1, delivery_order="DO-2026-000123",
                          delivered_on=date(2026, 12, 1), now=NOW)
        receive_stock(s, outlet_code="KIOS-002", product_code="NPK", kg=1, delivery_order="DO-2026-000124",
                      delivered_on=date(2026, 12, 1), now=NOW)
    with world.sessions() as s:
        assert stock_left(s, "KIOS-002") == {"NPK": 1}
        assert ledger.account_by_key(s, "stock:KIOS-002:UREA") is None


@pytest.mark.parametrize("changes,error,code", [
    ({"outlet_code": "KIOS-404"}, RegistryError, "unknown_outlet"),
    ({"outlet_code": "KIOS-003"}, StockError, "outlet_inactive"),
    ({"product_code": "KCL"}, FertilizerError, "unknown_product"),
    ({"kg": 0}, FertilizerError, "bad_kg"),
    ({"kg": "5000"}, FertilizerError, "bad_kg"),
    ({"delivery_order": "DO 1"}, FertilizerError, "bad_delivery_order"),
    ({"delivery_order": ""}, FertilizerError, "bad_delivery_order"),
    ({"delivered_on": date(2026, 12, 5)}, StockError, "delivery_in_future"),  # NOW is 4 Dec 16:00 WITA
    ({"delivered_on": "2026-12-01"}, StockError, "bad_delivery_date"),
])
def test_bad_receipts_change_nothing(world: World, changes: dict[str, object], error: type[Exception], code: str) -> None:
    with world.sessions() as s:
        before = snapshot(s)
    with pytest.raises(error) as err:
        _receive(world, **changes)
    assert getattr(err.value, "code") == code
    with world.sessions() as s:
        assert snapshot(s) == before


def test_stock_adds_up_per_product(world: World) -> None:
    _receive(world, delivery_order="DO-1", kg=2_000)
    _receive(world, delivery_order="DO-2", kg=3_000)
    _receive(world, delivery_order="DO-3", product_code="ORGANIC", kg=800)
    with world.sessions() as s:
        assert stock_left(s, "KIOS-001") == {"UREA": 5_000, "ORGANIC": 800}
