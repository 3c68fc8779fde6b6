"""Quota accounts in the ledger: allocation journals, what is left, admin corrections (both backends)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import ledger
from fertilizer.errors import FarmerErased, FertilizerError, QuotaError, RegistryError
from fertilizer.farmers import erase_farmer
from fertilizer.quotas import allocate, quota_accounts, quota_left, quota_seasons
from fertilizer.schema import FarmerQuota
from tests.fertilizer.helpers import RecordingAudit
from tests.fertilizer.world import NOW, SEASON, World, admin_entries, journals_of, sell, snapshot, stock_up


def _allocate(world: World, farmer: str, **kg: int) -> ledger.JournalResult | None:
    with world.sessions.begin() as s:
        return allocate(s, pseudonym=farmer, season=SEASON, kg=kg, now=NOW, actor="admin", reason="koreksi RDKK")


def test_allocation_credits_the_quota_from_the_rdkk_source(world: World) -> None:
    p = world.man.pseudonym
    result = _allocate(world, p, UREA=170, NPK=212, ZA=0)
    assert result is not None and result.state is ledger.JournalState.POSTED
    with world.sessions() as s:
        assert quota_left(s, p, SEASON) == {"UREA": 170, "NPK": 212}  # no account for a product at 0 kg
        assert quota_left(s, world.woman.pseudonym, SEASON) == {}
        assert quota_seasons(s, p) == frozenset({SEASON}) and quota_seasons(s, world.woman.pseudonym) == frozenset()
        [journal] = journals_of(s, p)
        assert journal.idempotency_key == f"alloc:{SEASON}:{p}:r1" and journal.kind is ledger.JournalKind.QUOTA_ALLOCATION
        accounts = quota_accounts(s, p, SEASON)
        source = ledger.account_by_key(s, f"rdkk:UREA:{SEASON}")
        assert source is not None and source.limit is ledger.Limit.NONE
        assert ledger.Leg(source.id, accounts["UREA"], "KG:UREA", 170) in journal.legs
        quota = ledger.get_account(s, accounts["UREA"])
        assert (quota.key, quota.owner, quota.limit) == (f"quota:{p}:UREA:{SEASON}", p,
                                                         ledger.Limit.DEBITS_MUST_NOT_EXCEED_CREDITS)
        assert dict(journal.memo) == {"reason": "koreksi RDKK", "season": SEASON, "source": "admin",
                                      "targets": "UREA=170;NPK=212"}
        [entry] = admin_entries(s, "fertilizer.quota_set")
        assert entry["farmer"] == p and entry["kg"] == {"NPK": 212, "UREA": 170, "ZA": 0}
        assert entry["journal_id"] == str(journal.id) and entry["actor"] == "admin"


def test_up_down_and_back_is_three_journals_never_a_conflict(world: World) -> None:
    p = world.man.pseudonym
    for kg in (170, 200, 170):
        assert _allocate(world, p, UREA=kg) is not None
    assert _allocate(world, p, UREA=170) is None  # nothing to change: no journal
    with world.sessions() as s:
        journals = journals_of(s, p)
        assert [j.idempotency_key.rsplit(":", 1)[1] for j in journals] == ["r1", "r2", "r3"]
        assert [j.legs[0].amount for j in journals] == [170, 30, 30]
        quota = quota_accounts(s, p, SEASON)["UREA"]
        assert journals[2].legs[0].debit == quota  # taking quota back debits the quota account
        assert quota_left(s, p, SEASON) == {"UREA": 170}
        assert s.scalar(sa.select(FarmerQuota.allocated_kg)) == 170
        assert len(admin_entries(s, "fertilizer.quota_set")) == 4


def test_a_quota_never_goes_below_what_was_redeemed(world: World) -> None:
    p = world.man.pseudonym
    _allocate(world, p, UREA=170)
    stock_up(world, 1_000)
    sell(world, p, {"UREA": 100}, key="sale-1")
    sell(world, p, {"UREA": 20}, key="sale-2", pending=True)  # a pending sale counts as redeemed
    with world.sessions() as s:
        before = snapshot(s)
        assert quota_left(s, p, SEASON) == {"UREA": 50}
    with world.sessions.begin() as s, pytest.raises(QuotaError) as err:
        allocate(s, pseudonym=p, season=SEASON, kg={"UREA": 119}, now=NOW, actor="admin", reason="x")
    assert err.value.code == "quota_below_redeemed"
    assert (err.value.fields["wanted"], err.value.fields["redeemed"]) == (119, 120)
    assert err.value.message_id and err.value.message_en
    with world.sessions() as s:
        assert snapshot(s) == before
    assert _allocate(world, p, UREA=120) is not None  # exactly what was taken: nothing left
    with world.sessions() as s:
        assert quota_left(s, p, SEASON) == {"UREA": 0}


@pytest.mark.parametrize("kg,code", [
    ({}, "no_lines"), ({"UREA": -1}, "bad_kg"), ({"UREA": True}, "bad_kg"), ({"UREA": 1.5}, "bad_kg"),
    ({"KCL": 10}, "unknown_product"),
])
def test_bad_allocations_change_nothing(world: World, kg: dict[str, object], code: str) -> None:
    with world.sessions.begin() as s:
        before = snapshot(s)
        with pytest.raises(FertilizerError) as err:
            allocate(s, pseudonym=world.man.pseudonym, season=SEASON, kg=kg, now=NOW, actor="admin",  # type: ignore[arg-type]
                     reason="x")
        assert err.value.code == code
        assert snapshot(s) == before


def test_allocation_needs_a_known_live_farmer_and_a_season(world: World) -> None:
    with world.sessions.begin() as s:
        with pytest.raises(RegistryError):
            allocate(s, pseudonym="F-NOSUCHFARMER", season=SEASON, kg={"UREA": 1}, now=NOW, actor="a", reason="x")
        with pytest.raises(FertilizerError) as err:
            allocate(s, pseudonym=world.man.pseudonym, season="2027-MT4", kg={"UREA": 1}, now=NOW, actor="a", reason="x")
        assert err.value.code == "bad_season_id"
        erase_farmer(s, world.keys, RecordingAudit(), world.woman.pseudonym, actor="admin", now=NOW, reason="permintaan")
        with pytest.raises(FarmerErased):
            allocate(s, pseudonym=world.woman.pseudonym, season=SEASON, kg={"UREA": 1}, now=NOW, actor="a", reason="x")
