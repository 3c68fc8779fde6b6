"""Many journals in one transaction (imports): in order, all or nothing, idempotent."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

import ledger as L
from tests.ledger.helpers import NOW, UREA, D, counts, open_, spec, tx


@pytest.fixture
def farmers(sessions: sessionmaker[Session]) -> tuple[object, list[object]]:
    def setup(s: Session) -> tuple[object, list[object]]:
        pool = open_(s, "quota:pool:UREA:2026-MT1", UREA)
        specs = [L.AccountSpec(f"quota:F-{i}:UREA:2026-MT1", "quota", UREA, D, f"F-{i}") for i in range(300)]
        return pool, [a.id for a in L.open_accounts(s, specs, now=NOW)]

    return tx(sessions, setup)


def allocations(pool: object, quotas: list[object], kg: int = 100, prefix: str = "rdkk") -> list[L.JournalSpec]:
    return [spec(f"{prefix}:{i}", (pool, q, UREA, kg), kind=L.JournalKind.QUOTA_ALLOCATION)  # type: ignore[arg-type]
            for i, q in enumerate(quotas)]


def test_a_batch_posts_in_order_and_returns_one_result_each(sessions: sessionmaker[Session], farmers: tuple[object, list[object]],
                                                            engine: sa.Engine) -> None:
    pool, quotas = farmers
    results = tx(sessions, lambda s: L.submit_batch(s, allocations(pool, quotas), now=NOW))
    assert len(results) == 300 and all(r.state is L.JournalState.POSTED and not r.replayed for r in results)
    assert results[7].balances[quotas[7]].available == 100  # type: ignore[index]
    assert tx(sessions, lambda s: L.balance(s, pool)).debits_posted == 30_000  # type: ignore[arg-type]
    c = counts(engine)
    assert (c["ledger_journals"], c["ledger_legs"]) == (300, 300)
    assert c["ledger_entries"] == 301 + 300  # accounts opened + journals submitted
    # a later journal of a batch may spend what an earlier one credited
    spend = [spec("a", (pool, quotas[0], UREA, 50)), spec("b", (quotas[0], pool, UREA, 150))]  # type: ignore[arg-type]
    out = tx(sessions, lambda s: L.submit_batch(s, spend, now=NOW))
    assert out[1].balances[quotas[0]].available == 0  # type: ignore[index]


def test_one_refusal_writes_nothing(sessions: sessionmaker[Session], farmers: tuple[object, list[object]], engine: sa.Engine) -> None:
    pool, quotas = farmers
    tx(sessions, lambda s: L.submit_batch(s, allocations(pool, quotas[:2]), now=NOW))
    before = counts(engine)
    bad = allocations(pool, quotas, prefix="new") + [spec("overdraw", (quotas[5], pool, UREA, 101))]  # type: ignore[arg-type]
    with sessions() as s, s.begin():
        with pytest.raises(L.BatchRefused) as err:
            L.submit_batch(s, bad, now=NOW)
        # the caller carries on with its transaction and commits: the savepoint kept it clean
    assert err.value.index == 300 and isinstance(err.value.cause, L.LimitExceeded)
    assert err.value.fields == {"index": 300, "cause": "limit_exceeded"}
    assert counts(engine) == before
    unknown = [spec("u", (pool, L.new_journal_id(), UREA, 1))]  # type: ignore[arg-type]
    with pytest.raises(L.BatchRefused) as err2:
        tx(sessions, lambda s: L.submit_batch(s, unknown, now=NOW))
    assert isinstance(err2.value.cause, L.UnknownAccount)


def test_replays_and_conflicts(sessions: sessionmaker[Session], farmers: tuple[object, list[object]], engine: sa.Engine) -> None:
    pool, quotas = farmers
    first = tx(sessions, lambda s: L.submit_batch(s, allocations(pool, quotas[:3]), now=NOW))
    before = counts(engine)
    again = tx(sessions, lambda s: L.submit_batch(s, allocations(pool, quotas[:3]), now=NOW))
    assert [r.journal_id for r in again] == [r.journal_id for r in first] and all(r.replayed for r in again)
    assert again[0].balances[quotas[0]].credits_posted == 100  # type: ignore[index]
    assert counts(engine) == before
    twice = allocations(pool, quotas[3:4], prefix="dup") * 2
    out = tx(sessions, lambda s: L.submit_batch(s, twice, now=NOW))
    assert out[0].journal_id == out[1].journal_id and not out[0].replayed and out[1].replayed
    assert tx(sessions, lambda s: L.balance(s, quotas[3])).credits_posted == 100  # type: ignore[arg-type]
    clash = allocations(pool, quotas[4:5], prefix="clash") + allocations(pool, quotas[4:5], kg=1, prefix="clash")
    with pytest.raises(L.BatchRefused) as err:
        tx(sessions, lambda s: L.submit_batch(s, clash, now=NOW))
    assert err.value.index == 1 and isinstance(err.value.cause, L.IdempotencyConflict)
    with pytest.raises(L.BatchRefused) as err:
        tx(sessions, lambda s: L.submit_batch(s, allocations(pool, quotas[:1], kg=7), now=NOW))
    assert err.value.index == 0 and isinstance(err.value.cause, L.IdempotencyConflict)


def test_empty_batch(sessions: sessionmaker[Session]) -> None:
    assert tx(sessions, lambda s: L.submit_batch(s, [], now=NOW)) == []
