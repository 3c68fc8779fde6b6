"""The kilogram legs of a sale and of its reversal, through ledger.submit (both backends)."""

from __future__ import annotations

import pytest

import ledger
from fertilizer.errors import FertilizerError, QuotaError, StockError
from fertilizer.quotas import allocate, quota_accounts, quota_left
from fertilizer.redemption import redemption_legs, reversal_legs
from fertilizer.stock import stock_accounts, stock_left
from tests.fertilizer.world import NOW, SEASON, World, sell, snapshot, stock_up


@pytest.fixture
def stocked(world: World) -> World:
    """Ridwan: Urea 170, NPK 212 kg; Suriani: Urea 100 kg; KIOS-001: Urea 250, NPK 1,000 kg."""
    with world.sessions.begin() as s:
        allocate(s, pseudonym=world.man.pseudonym, season=SEASON, kg={"UREA": 170, "NPK": 212}, now=NOW, actor="a", reason="r")
        allocate(s, pseudonym=world.woman.pseudonym, season=SEASON, kg={"UREA": 100}, now=NOW, actor="a", reason="r")
    stock_up(world, 250)
    stock_up(world, 1_000, product="NPK")
    return world


def test_a_sale_takes_quota_and_stock(stocked: World) -> None:
    p = stocked.man.pseudonym
    result = sell(stocked, p, {"NPK": 50, "UREA": 100}, key="sale-1")
    with stocked.sessions() as s:
        assert quota_left(s, p, SEASON) == {"UREA": 70, "NPK": 162}
        assert stock_left(s, "KIOS-001") == {"UREA": 150, "NPK": 950}
        journal = ledger.journal(s, result.journal_id)
        assert journal is not None
        quotas, stock = quota_accounts(s, p, SEASON), stock_accounts(s, "KIOS-001")
        redeemed = {a: ledger.account_by_key(s, f"redeemed:{a}:{SEASON}") for a in ("UREA", "NPK")}
        sold = {a: ledger.account_by_key(s, f"sold:KIOS-001:{a}") for a in ("UREA", "NPK")}
        assert all(acc is not None and acc.limit is ledger.Limit.NONE for acc in (*redeemed.values(), *sold.values()))
        assert journal.legs == (  # catalogue order: Urea first
            ledger.Leg(quotas["UREA"], redeemed["UREA"].id, "KG:UREA", 100),  # type: ignore[union-attr]
            ledger.Leg(stock["UREA"], sold["UREA"].id, "KG:UREA", 100),  # type: ignore[union-attr]
            ledger.Leg(quotas["NPK"], redeemed["NPK"].id, "KG:NPK", 50),  # type: ignore[union-attr]
            ledger.Leg(stock["NPK"], sold["NPK"].id, "KG:NPK", 50),  # type: ignore[union-attr]
        )
        assert result.balances[quotas["UREA"]].available == 70 and result.balances[stock["UREA"]].available == 150


@pytest.mark.parametrize("who,lines,short", [
    ("man", {"UREA": 171}, "quota"),  # one kg over his quota
    ("man", {"UREA": 100, "NPK": 213}, "quota"),
    ("woman", {"UREA": 100}, None),
])
def test_never_past_quota(stocked: World, who: str, lines: dict[str, int], short: str | None) -> None:
    p = getattr(stocked, who).pseudonym
    with stocked.sessions() as s:
        before = snapshot(s), quota_left(s, p, SEASON), stock_left(s, "KIOS-001")
    if short is None:
        sell(stocked, p, lines, key="sale")
        return
    with pytest.raises(ledger.LimitExceeded) as err:
        sell(stocked, p, lines, key="sale")
    with stocked.sessions() as s:
        assert str(err.value.account_id) in {str(a) for a in quota_accounts(s, p, SEASON).values()}
        assert (snapshot(s), quota_left(s, p, SEASON), stock_left(s, "KIOS-001")) == before


def test_never_past_stock(stocked: World) -> None:
    sell(stocked, stocked.man.pseudonym, {"UREA": 170}, key="sale-1")
    with pytest.raises(ledger.LimitExceeded) as err:  # Suriani has 100 kg of quota, the kiosk 80 kg of Urea
        sell(stocked, stocked.woman.pseudonym, {"UREA": 81}, key="sale-2")
    with stocked.sessions() as s:
        assert str(err.value.account_id) == str(stock_accounts(s, "KIOS-001")["UREA"])
        assert stock_left(s, "KIOS-001")["UREA"] == 80 and quota_left(s, stocked.woman.pseudonym, SEASON) == {"UREA": 100}
    sell(stocked, stocked.woman.pseudonym, {"UREA": 80}, key="sale-3")


def test_pending_sales_count_until_voided(stocked: World) -> None:
    p = stocked.man.pseudonym
    pending = sell(stocked, p, {"UREA": 150}, key="sale-1", pending=True)
    with stocked.sessions() as s:
        assert quota_left(s, p, SEASON)["UREA"] == 20 and stock_left(s, "KIOS-001")["UREA"] == 100
    with pytest.raises(ledger.LimitExceeded):
        sell(stocked, p, {"UREA": 21}, key="sale-2")
    with stocked.sessions.begin() as s:
        ledger.void(s, pending.journal_id, reason="bpjs_refused", now=NOW)
    with stocked.sessions() as s:
        assert quota_left(s, p, SEASON)["UREA"] == 170 and stock_left(s, "KIOS-001")["UREA"] == 250


def test_a_reversal_gives_quota_and_stock_back(stocked: World) -> None:
    p = stocked.man.pseudonym
    sale = sell(stocked, p, {"UREA": 100, "NPK": 50}, key="sale-1")
    with stocked.sessions.begin() as s:
        legs = reversal_legs(s, pseudonym=p, season=SEASON, outlet_code="KIOS-001", lines={"UREA": 100, "NPK": 50}, now=NOW)
        original = ledger.journal(s, sale.journal_id)
        assert original is not None
        assert legs == [ledger.Leg(leg.credit, leg.debit, leg.asset, leg.amount) for leg in original.legs]
        ledger.submit(s, ledger.JournalSpec("reversal-1", ledger.JournalKind.REVERSAL, legs, kiosk="KIOS-001", farmer=p),
                      now=NOW)
    with stocked.sessions() as s:
        assert quota_left(s, p, SEASON) == {"UREA": 170, "NPK": 212}
        assert stock_left(s, "KIOS-001") == {"UREA": 250, "NPK": 1_000}


def test_no_quota_or_no_stock_is_a_clear_refusal(stocked: World) -> None:
    with stocked.sessions.begin() as s:
        before = snapshot(s)
        with pytest.raises(QuotaError) as q:
            redemption_legs(s, pseudonym=stocked.woman.pseudonym, season=SEASON, outlet_code="KIOS-001",
                            lines={"UREA": 10, "NPK": 10}, now=NOW)
        assert q.value.code == "no_quota" and q.value.fields["products"] == ["NPK"]
        with pytest.raises(QuotaError):  # another season: no quota at all
            redemption_legs(s, pseudonym=stocked.man.pseudonym, season="2027-MT2", outlet_code="KIOS-001",
                            lines={"UREA": 10}, now=NOW)
        with pytest.raises(StockError) as st:
            redemption_legs(s, pseudonym=stocked.man.pseudonym, season=SEASON, outlet_code="KIOS-002",
                            lines={"UREA": 10}, now=NOW)
        assert st.value.code == "no_stock" and st.value.fields == {"outlet": "KIOS-002", "products": ["UREA"]}
        assert snapshot(s) == before


@pytest.mark.parametrize("lines,code", [
    ({}, "no_lines"), ({"UREA": 0}, "bad_kg"), ({"UREA": -5}, "bad_kg"), ({"UREA": "10"}, "bad_kg"),
    ({"SP36": 10, "KCL": 1}, "unknown_product"),
])
def test_bad_lines_are_refused(stocked: World, lines: dict[str, object], code: str) -> None:
    with stocked.sessions.begin() as s, pytest.raises(FertilizerError) as err:
        redemption_legs(s, pseudonym=stocked.man.pseudonym, season=SEASON, outlet_code="KIOS-001",
                        lines=lines, now=NOW)  # type: ignore[arg-type]
    assert err.value.code == code
