"""Concurrent spenders for test_concurrency: threads (PostgreSQL) or spawned processes (SQLite).

Each spender tries ``attempts`` redemptions of a random size against one card balance and one
quota; a third of them go through two phases (pending, then post or void). It reports every
outcome: (key, kg, rp, outcome, balances seen), outcome in posted / voided / refused.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

import ledger as L
from ledger.storage import create_engine
from tests.ledger.helpers import NOW

Outcome = tuple[str, int, int, str, list[tuple[int, int]]]


def spend(sessions: sessionmaker[Session], ids: dict[str, uuid.UUID], worker: int, attempts: int) -> list[Outcome]:
    rng = random.Random(worker)
    out: list[Outcome] = []
    for n in range(attempts):
        kg = rng.randint(1, 20)
        rp = kg * 1_800 + rng.choice((0, 16_800))
        key = f"w{worker}-{n}"
        legs = [L.Leg(ids["card"], ids["sales"], L.IDR, rp), L.Leg(ids["quota"], ids["redeemed"], "KG:UREA", kg),
                L.Leg(ids["stock"], ids["sold"], "KG:UREA", kg)]
        two_phase = n % 3 == 0
        spec = L.JournalSpec(key, L.JournalKind.REDEMPTION, legs, pending=two_phase, kiosk="KIOS-001")
        try:
            result = L.run_in_transaction(sessions, lambda s, sp=spec: L.submit(s, sp, now=NOW), attempts=30)
        except L.LimitExceeded:
            out.append((key, kg, rp, "refused", []))
            continue
        seen = [(b.available or 0, b.debits_pending) for b in result.balances.values()]
        if two_phase and rng.random() < 0.5:
            L.run_in_transaction(sessions, lambda s, j=result.journal_id: L.void(s, j, reason="BPJS refused", now=NOW), attempts=30)
            out.append((key, kg, rp, "voided", seen))
        else:
            if two_phase:
                L.run_in_transaction(sessions, lambda s, j=result.journal_id: L.post(s, j, now=NOW), attempts=30)
            out.append((key, kg, rp, "posted", seen))
        if n % 10 == 0:
            L.run_in_transaction(sessions, lambda s: L.roll_up(s), attempts=30)
    return out


def spend_in_process(url: str, ids: dict[str, uuid.UUID], worker: int, attempts: int, queue: Any) -> None:
    """Process entry point (spawn): own engine, own connections."""
    engine = create_engine(url)
    try:
        queue.put((worker, spend(sessionmaker(engine), ids, worker, attempts)))
    except BaseException as exc:  # noqa: BLE001  (the parent test reports it)
        queue.put((worker, repr(exc)))
    finally:
        engine.dispose()
