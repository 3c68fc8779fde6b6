"""The submit hot path (docs/ledger.md "Performance"): on PostgreSQL a new journal is checked and
written by one statement; any refusal there writes nothing, leaves the transaction usable, and the
careful path names the error."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

import ledger as L
from tests.ledger.helpers import NOW, UREA, Kiosk, counts, open_, spec, tx


def test_a_new_journal_is_one_statement_on_postgresql_one_read_and_its_writes_on_sqlite(engine: sa.Engine, sessions: sessionmaker[Session]) -> None:
    k = tx(sessions, Kiosk)
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    with sessions() as s, s.begin():
        s.connection()
        sa.event.listen(engine, "before_cursor_execute", seen)
        try:
            result = L.submit(s, k.redemption("one-statement", 10, 18_000), now=NOW)
        finally:
            sa.event.remove(engine, "before_cursor_execute", seen)
    if engine.dialect.name == "postgresql":
        assert len(statements) == 1, statements
    else:  # SQLite: BEGIN IMMEDIATE made this the only writer; one read, then the writes (executemany each)
        kinds = [st.split(None, 3)[:3] for st in statements]
        assert statements[0].startswith("SELECT") and [k[0] for k in kinds[1:]] == ["INSERT"] * 4 + ["UPDATE"], statements
        assert [k[2] for k in kinds[1:5]] == ["ledger_journals", "ledger_legs", "ledger_sink_deltas", "ledger_entries"]
    assert result.state is L.JournalState.POSTED and not result.replayed
    assert tx(sessions, lambda s: L.balances(s, result.balances)) == dict(result.balances)
    assert set(result.balances) == {k.card, k.quota, k.stock}  # the limited accounts only


def test_refusals_write_nothing_and_leave_the_transaction_usable(engine: sa.Engine, sessions: sessionmaker[Session]) -> None:
    def set_up(s: Session) -> tuple[Kiosk, uuid.UUID]:
        k = Kiosk(s, card_funds=50_000)
        closed = open_(s, "closed:K1")
        L.close_account(s, closed, now=NOW)
        L.submit(s, k.redemption("first", 1, 1_800), now=NOW)
        return k, closed

    k, closed = tx(sessions, set_up)
    before = counts(engine)
    refusals: list[tuple[L.JournalSpec, type[L.LedgerError]]] = [
        (k.redemption("too-much", 10, 60_000), L.LimitExceeded),
        (k.redemption("over-quota", 101, 1_800), L.LimitExceeded),
        (spec("to-closed", (k.card, closed, L.IDR, 100)), L.AccountClosed),
        (spec("unknown", (k.card, uuid.uuid4(), L.IDR, 100)), L.UnknownAccount),
        (spec("mismatch", (k.card, k.redeemed, L.IDR, 100)), L.AssetMismatch),
        (k.redemption("first", 2, 3_600), L.IdempotencyConflict),
    ]
    with sessions() as s, s.begin():
        for refused, error in refusals:
            with pytest.raises(error):
                L.submit(s, refused, now=NOW)
        replay = L.submit(s, k.redemption("first", 1, 1_800), now=NOW)
        after = L.submit(s, k.redemption("after", 2, 3_600), now=NOW)  # the transaction still works
    assert replay.replayed and not after.replayed
    assert counts(engine) == {**before, "ledger_journals": before["ledger_journals"] + 1,
                              "ledger_legs": before["ledger_legs"] + 3, "ledger_entries": before["ledger_entries"] + 1,
                              "ledger_sink_deltas": before["ledger_sink_deltas"] + 3}
    card = tx(sessions, lambda s: L.balance(s, k.card))
    assert card.available == 50_000 - 1_800 - 3_600
    assert tx(sessions, lambda s: L.balance(s, k.quota)).available == 100 - 1 - 2
    assert tx(sessions, lambda s: L.journal_by_key(s, "too-much")) is None
    assert after.balances[k.stock].available == 500 - 3 and UREA == after.balances[k.stock].asset
