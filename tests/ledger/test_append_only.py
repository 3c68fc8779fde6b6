"""History is append-only, and every invariant has a database backstop (raw SQL is refused)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

import ledger as L
from tests.ledger.helpers import NOW, Kiosk, counts, tx

REFUSED = [
    # history: journals, legs and entries are never rewritten or removed
    "UPDATE ledger_legs SET amount = amount + 1",
    "UPDATE ledger_legs SET asset = asset",
    "DELETE FROM ledger_legs",
    "UPDATE ledger_entries SET body = body",
    "DELETE FROM ledger_entries",
    "DELETE FROM ledger_journals",
    "UPDATE ledger_journals SET kiosk = 'KIOS-999'",
    "UPDATE ledger_journals SET memo = '{}' WHERE state = 'pending'",
    "UPDATE ledger_journals SET state = 'pending', finalized_at = NULL WHERE state = 'posted'",
    "UPDATE ledger_journals SET state = 'voided' WHERE state = 'posted'",
    # accounts: never deleted, identity fixed, closed stays closed
    "DELETE FROM ledger_accounts",
    "UPDATE ledger_accounts SET asset = 'KG:NPK' WHERE asset = 'KG:UREA'",
    "UPDATE ledger_accounts SET limit_flag = 'none' WHERE limit_flag <> 'none'",
    "UPDATE ledger_accounts SET key = key || 'x'",
    "UPDATE ledger_accounts SET closed_at = NULL WHERE closed_at IS NOT NULL",
    # counters: a limited account never past its limit, never negative
    "UPDATE ledger_accounts SET debits_posted = credits_posted + 1 WHERE limit_flag = 'debits_must_not_exceed_credits'",
    "UPDATE ledger_accounts SET debits_pending = credits_posted + 1 WHERE limit_flag = 'debits_must_not_exceed_credits'",
    "UPDATE ledger_accounts SET credits_posted = -1",
    # legs: positive amounts, two accounts of the leg's asset, an existing journal
    "INSERT INTO ledger_legs SELECT journal_id, 99, debit_account_id, credit_account_id, asset, 0 FROM ledger_legs WHERE idx = 0",
    "INSERT INTO ledger_legs SELECT journal_id, 99, debit_account_id, debit_account_id, asset, 5 FROM ledger_legs WHERE idx = 0",
    "INSERT INTO ledger_legs SELECT journal_id, 99, debit_account_id, credit_account_id, 'KG:NPK', 5 FROM ledger_legs WHERE idx = 0",
    "INSERT INTO ledger_legs SELECT credit_account_id, 99, debit_account_id, credit_account_id, asset, 5 FROM ledger_legs WHERE idx = 0",
    # journals: one per idempotency key, known states and kinds
    "INSERT INTO ledger_journals (id, idempotency_key, body_sha256, kind, state, memo, created_at, finalized_at) "
    "SELECT debit_account_id, 'r-1', 'x', 'redemption', 'posted', '{}', created_at, created_at FROM ledger_legs, ledger_journals "
    "WHERE ledger_legs.journal_id = ledger_journals.id AND idx = 0 AND idempotency_key = 'r-1'",
    "UPDATE ledger_journals SET state = 'lost', finalized_at = created_at WHERE state = 'pending'",
]


@pytest.fixture
def booked(sessions: sessionmaker[Session]) -> Kiosk:
    def setup(s: Session) -> Kiosk:
        k = Kiosk(s)
        L.submit(s, k.redemption("r-1", kg=5, rp=500), now=NOW)
        L.submit(s, k.redemption("r-2", kg=5, rp=500, pending=True), now=NOW)
        L.close_account(s, L.open_account(s, key="old", kind="test", asset=L.IDR, limit=L.Limit.NONE, now=NOW).id, now=NOW)
        return k

    return tx(sessions, setup)


@pytest.mark.parametrize("sql", REFUSED)
def test_raw_changes_are_refused(engine: sa.Engine, booked: Kiosk, sql: str) -> None:
    before = counts(engine)
    with pytest.raises(sa.exc.IntegrityError):
        with engine.begin() as conn:
            conn.exec_driver_sql(sql)
    assert counts(engine) == before


def test_the_allowed_moves_still_work(engine: sa.Engine, booked: Kiosk) -> None:
    with engine.begin() as conn:  # counters may move within the limits; a pending journal may become final
        conn.exec_driver_sql("UPDATE ledger_accounts SET credits_posted = credits_posted + 1")
        conn.exec_driver_sql("UPDATE ledger_journals SET state = 'posted', finalized_at = created_at WHERE state = 'pending'")


def test_emptying_a_table_is_refused(engine: sa.Engine, booked: Kiosk, db_backend: str) -> None:
    # PostgreSQL's TRUNCATE skips row triggers (a statement trigger refuses it); SQLite's
    # "truncate optimization" of an unqualified DELETE is off whenever the table has triggers.
    emptying = "TRUNCATE {} CASCADE" if db_backend == "postgresql" else "DELETE FROM {}"
    before = counts(engine)
    for table in ("ledger_legs", "ledger_entries", "ledger_journals", "ledger_accounts"):
        with pytest.raises(sa.exc.IntegrityError):
            with engine.begin() as conn:
                conn.exec_driver_sql(emptying.format(table))
    assert counts(engine) == before
