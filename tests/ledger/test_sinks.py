"""Unlimited sinks: no hot row per journal, yet exact balances on read; roll-up changes nothing."""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

import ledger as L
from ledger import schema
from tests.ledger.helpers import NOW, Kiosk, tx


@pytest.fixture
def kiosk(sessions: sessionmaker[Session]) -> Kiosk:
    return tx(sessions, Kiosk)


def _stored(engine: sa.Engine, account: uuid.UUID) -> tuple[int, ...]:
    """The counters as stored in the account's row (without the unrolled deltas)."""
    a = schema.accounts.c
    with engine.connect() as conn:
        return tuple(conn.execute(sa.select(a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending)
                                  .where(a.id == account)).one())


def test_sinks_are_not_updated_per_journal_but_read_exactly(sessions: sessionmaker[Session], kiosk: Kiosk, engine: sa.Engine) -> None:
    a = tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-1", kg=5, rp=500), now=NOW))
    b = tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-2", kg=5, rp=700, pending=True), now=NOW))
    assert _stored(engine, kiosk.sales) == (0, 0, 0, 0)  # the hot row was never touched
    assert _stored(engine, kiosk.card) == (500, 100_000, 700, 0)  # limited accounts are updated in place
    assert tx(sessions, lambda s: L.balance(s, kiosk.sales)).credits_posted == 500
    assert tx(sessions, lambda s: L.balance(s, kiosk.sales)).credits_pending == 700
    assert tx(sessions, lambda s: L.roll_up(s)) > 0
    assert _stored(engine, kiosk.sales) == (0, 500, 0, 700)
    tx(sessions, lambda s: L.post(s, b.journal_id, now=NOW))
    assert tx(sessions, lambda s: L.balance(s, kiosk.sales)).credits_posted == 1200
    assert tx(sessions, lambda s: L.roll_up(s, account_ids=[kiosk.sales])) == 1
    assert _stored(engine, kiosk.sales) == (0, 1200, 0, 0) and tx(sessions, lambda s: L.roll_up(s, account_ids=[kiosk.sales])) == 0
    assert a.journal_id != b.journal_id


def test_roll_up_never_loses_a_concurrent_delta(sessions: sessionmaker[Session], kiosk: Kiosk, engine: sa.Engine,
                                                db_backend: str) -> None:
    """A journal still uncommitted while a roll-up runs keeps its delta for the next roll-up."""
    writer_inserted, roll_up_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with sessions() as s, s.begin():
                L.submit(s, kiosk.redemption("late", kg=1, rp=1_000), now=NOW)
                writer_inserted.set()
                roll_up_done.wait(10)
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    tx(sessions, lambda s: L.submit(s, kiosk.redemption("early", kg=1, rp=100), now=NOW))
    t = threading.Thread(target=writer)
    t.start()
    assert writer_inserted.wait(10)
    if db_backend == "postgresql":  # SQLite has one writer at a time: the roll-up waits for the journal
        tx(sessions, lambda s: L.roll_up(s))
    roll_up_done.set()
    t.join(10)
    assert not errors
    tx(sessions, lambda s: L.roll_up(s))
    assert tx(sessions, lambda s: L.balance(s, kiosk.sales)).credits_posted == 1_100
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM ledger_sink_deltas").scalar_one() == 0


def test_roll_up_refuses_an_orphan_delta(sessions: sessionmaker[Session], engine: sa.Engine) -> None:
    ghost = uuid.uuid4()
    with pytest.raises(L.UnknownAccount):
        tx(sessions, lambda s: L.roll_up(s, account_ids=[ghost]))
    with pytest.raises(L.InvalidInput):
        tx(sessions, lambda s: L.roll_up(s, limit=0))
