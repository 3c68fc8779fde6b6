"""Many writers spend one card balance and one quota, with more demand than supply.

PostgreSQL: 16 threads with their own connections. SQLite: 4 processes (one writer at a time, by
BEGIN IMMEDIATE). Afterwards: no limited account is past its limit (nor was it in any balance a
writer saw), the accepted debits equal the drop of each balance, every accepted journal exists
exactly once with its entries, refused ones left nothing, and the sinks add up exactly.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

import ledger as L
from ledger.storage import create_engine
from tests.ledger.helpers import NOW, UREA, D, open_, spec, tx
from tests.ledger.spenders import Outcome, spend, spend_in_process

# Supply is ~70 % of the expected demand (10.5 kg and Rp 27,300 per attempt on average), so both
# limits bind while writers are still racing, not only at the start.
KG_PER_TRY, RP_PER_TRY, SHARE = 10.5, 27_300, 0.7


def _set_up(sessions: sessionmaker[Session], tries: int) -> dict[str, uuid.UUID]:
    card_funds, quota_kg = int(tries * RP_PER_TRY * SHARE), int(tries * KG_PER_TRY * SHARE)

    def setup(s: Session) -> dict[str, uuid.UUID]:
        ids = {
            "src": open_(s, "src"), "src_urea": open_(s, "src:urea", UREA), "card": open_(s, "card:F1", L.IDR, D),
            "quota": open_(s, "quota:F1", UREA, D), "stock": open_(s, "stock:K1", UREA, D), "sales": open_(s, "sales:K1"),
            "redeemed": open_(s, "redeemed", UREA), "sold": open_(s, "sold:K1", UREA),
        }
        L.submit(s, spec("fund", (ids["src"], ids["card"], L.IDR, card_funds), (ids["src_urea"], ids["quota"], UREA, quota_kg),
                         (ids["src_urea"], ids["stock"], UREA, 10**6)), now=NOW)
        return ids

    return tx(sessions, setup)


def _run_threads(sessions: sessionmaker[Session], ids: dict[str, uuid.UUID], workers: int, attempts: int) -> list[Outcome]:
    results: list[Outcome] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(w: int) -> None:
        try:
            mine = spend(sessions, ids, w, attempts)
            with lock:
                results.extend(mine)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(240)
    assert not errors, errors
    return results


def _run_processes(url: str, ids: dict[str, uuid.UUID], workers: int, attempts: int) -> list[Outcome]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=spend_in_process, args=(url, ids, w, attempts, queue)) for w in range(workers)]
    for p in procs:
        p.start()
    reports = [queue.get(timeout=240) for _ in procs]
    for p in procs:
        p.join(30)
    failed = [r for _, r in reports if isinstance(r, str)]
    assert not failed, failed
    return [o for _, r in reports for o in r]  # type: ignore[union-attr]


@pytest.mark.slow
def test_more_demand_than_supply(db_url: str, db_backend: str) -> None:
    engine = create_engine(db_url, pool_size=20)
    sessions = sessionmaker(engine, expire_on_commit=False)
    try:
        workers, attempts = (16, 25) if db_backend == "postgresql" else (4, 60)
        ids = _set_up(sessions, workers * attempts)
        if db_backend == "postgresql":
            outcomes = _run_threads(sessions, ids, workers, attempts)
        else:
            outcomes = _run_processes(db_url, ids, workers, attempts)
        _check(sessions, engine, ids, outcomes)
    finally:
        engine.dispose()


def _check(sessions: sessionmaker[Session], engine: sa.Engine, ids: dict[str, uuid.UUID], outcomes: list[Outcome]) -> None:
    posted = [o for o in outcomes if o[3] == "posted"]
    refused = [o for o in outcomes if o[3] == "refused"]
    assert refused and len(posted) > len(outcomes) // 3, "demand must exceed supply, and much of it be met"
    funding = tx(sessions, lambda s: L.balances(s, [ids["card"], ids["quota"]]))
    card_funds, quota_kg = funding[ids["card"]].credits_posted, funding[ids["quota"]].credits_posted
    assert sum(o[1] for o in outcomes) > quota_kg and sum(o[2] for o in outcomes) > card_funds
    for _, _, _, _, seen in outcomes:  # no writer ever saw a limited account past its limit
        assert all(available >= 0 for available, _ in seen)
    b = tx(sessions, lambda s: L.balances(s, [ids["card"], ids["quota"], ids["stock"], ids["sales"], ids["redeemed"]]))
    card, quota = b[ids["card"]], b[ids["quota"]]
    assert card.debits_pending == quota.debits_pending == 0
    assert card.debits_posted == sum(o[2] for o in posted) <= card_funds  # accepted debits == the drop
    assert quota.debits_posted == sum(o[1] for o in posted) <= quota_kg
    assert b[ids["stock"]].debits_posted == quota.debits_posted
    assert b[ids["sales"]].credits_posted == card.debits_posted and b[ids["redeemed"]].credits_posted == quota.debits_posted
    with engine.connect() as conn:  # nothing lost, nothing extra
        rows = dict(conn.exec_driver_sql("SELECT idempotency_key, state FROM ledger_journals WHERE idempotency_key <> 'fund'").all())
        entries = conn.exec_driver_sql("SELECT count(*) FROM ledger_entries WHERE journal_id IS NOT NULL").scalar_one()
    assert rows == {o[0]: ("voided" if o[3] == "voided" else "posted") for o in outcomes if o[3] != "refused"}
    two_phase = sum(1 for o in outcomes if o[3] != "refused" and int(o[0].split("-")[1]) % 3 == 0)
    assert entries == 1 + len(rows) + two_phase  # funding + one per journal + one per post/void
    tx(sessions, lambda s: L.roll_up(s))
    assert tx(sessions, lambda s: L.balance(s, ids["sales"])) == b[ids["sales"]]  # the roll-up changed no balance
