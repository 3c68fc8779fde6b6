"""Opening, finding and closing accounts."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

import ledger as L
from tests.ledger.helpers import NOW, UREA, D, N, counts, open_, spec, tx


def test_open_is_idempotent_and_conflicts_on_other_attributes(sessions: sessionmaker[Session], engine: sa.Engine) -> None:
    first = tx(sessions, lambda s: L.open_account(s, key="quota:F-1:UREA:2026-MT1", kind="quota", asset=UREA, limit=D,
                                                  owner="F-1", now=NOW))
    assert (first.kind, first.asset, first.limit, first.owner, first.closed) == ("quota", UREA, D, "F-1", False)
    before = counts(engine)
    again = tx(sessions, lambda s: L.open_account(s, key="quota:F-1:UREA:2026-MT1", kind="quota", asset=UREA, limit=D,
                                                  owner="F-1", now=NOW + timedelta(days=1)))
    assert again == first and counts(engine) == before
    for attr, kw in (("kind", {"kind": "stock"}), ("asset", {"asset": "KG:NPK"}), ("limit", {"limit": N}), ("owner", {"owner": None})):
        args = {"key": "quota:F-1:UREA:2026-MT1", "kind": "quota", "asset": UREA, "limit": D, "owner": "F-1", **kw}
        with pytest.raises(L.AccountConflict) as err:
            tx(sessions, lambda s, a=args: L.open_account(s, now=NOW, **a))  # type: ignore[arg-type]
        assert err.value.fields["attribute"] == attr
    assert tx(sessions, lambda s: L.account_by_key(s, "quota:F-1:UREA:2026-MT1")) == first
    assert tx(sessions, lambda s: L.account_by_key(s, "nope")) is None
    assert tx(sessions, lambda s: L.get_account(s, first.id)) == first
    with pytest.raises(L.UnknownAccount):
        tx(sessions, lambda s: L.get_account(s, uuid.uuid4()))


def test_open_accounts_in_bulk_all_or_nothing(sessions: sessionmaker[Session], engine: sa.Engine) -> None:
    specs = [L.AccountSpec(f"quota:F-{i}:UREA:2026-MT1", "quota", UREA, D, f"F-{i}") for i in range(1200)]
    opened = tx(sessions, lambda s: L.open_accounts(s, specs, now=NOW))
    assert [a.key for a in opened] == [sp.key for sp in specs] and len({a.id for a in opened}) == 1200
    before = counts(engine)
    clash = [L.AccountSpec("quota:F-new", "quota", UREA, D), L.AccountSpec("quota:F-7:UREA:2026-MT1", "quota", UREA, N, "F-7")]
    with pytest.raises(L.AccountConflict):
        tx(sessions, lambda s: L.open_accounts(s, clash, now=NOW))
    with pytest.raises(L.AccountConflict):  # the same key twice in one call, differently
        tx(sessions, lambda s: L.open_accounts(s, [clash[0], L.AccountSpec("quota:F-new", "stock", UREA, D)], now=NOW))
    assert counts(engine) == before
    assert before["ledger_entries"] == 1200  # one account.opened entry each


def test_close_account(sessions: sessionmaker[Session]) -> None:
    def setup(s: Session) -> tuple[uuid.UUID, uuid.UUID]:
        return open_(s, "src"), open_(s, "card:F1", L.IDR, D)

    src, card = tx(sessions, setup)
    pending = tx(sessions, lambda s: L.submit(s, spec("t-1", (src, card, L.IDR, 100), pending=True), now=NOW))
    with pytest.raises(L.AccountHasPending):
        tx(sessions, lambda s: L.close_account(s, card, now=NOW))
    tx(sessions, lambda s: L.post(s, pending.journal_id, now=NOW))
    closed = tx(sessions, lambda s: L.close_account(s, card, now=NOW + timedelta(days=1)))
    assert closed.closed and closed.closed_at == NOW + timedelta(days=1)
    assert tx(sessions, lambda s: L.close_account(s, card, now=NOW + timedelta(days=2))) == closed  # already closed
    with pytest.raises(L.AccountClosed):
        tx(sessions, lambda s: L.submit(s, spec("t-2", (src, card, L.IDR, 1)), now=NOW))
    with pytest.raises(L.BatchRefused) as err:
        tx(sessions, lambda s: L.submit_batch(s, [spec("t-3", (card, src, L.IDR, 1))], now=NOW))
    assert isinstance(err.value.cause, L.AccountClosed)
    assert tx(sessions, lambda s: L.balance(s, card)).credits_posted == 100  # history kept
    kinds = [k for (k,) in tx(sessions, lambda s: s.connection().exec_driver_sql(
        "SELECT kind FROM ledger_entries WHERE journal_id IS NULL ORDER BY created_at, id").all())]
    assert kinds == ["account.opened", "account.opened", "account.closed"]


def test_close_refused_while_a_sink_has_pending(sessions: sessionmaker[Session]) -> None:
    src, sink = tx(sessions, lambda s: (open_(s, "src"), open_(s, "sink")))
    tx(sessions, lambda s: L.submit(s, spec("t-1", (src, sink, L.IDR, 5), pending=True), now=NOW))
    with pytest.raises(L.AccountHasPending):
        tx(sessions, lambda s: L.close_account(s, sink, now=NOW))
