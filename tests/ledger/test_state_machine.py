"""A Hypothesis state machine runs every ledger operation on the real database and on a plain-dict
model, and compares them after every step (STYLE habit 9; zarr-python's stateful tests).

Multi-asset, multi-leg journals; posted at once or pending; post, void, expire; replays and
conflicting replays; refused journals; closed accounts; batches; roll-ups. After each step: the
per-asset sum of all balances is zero, every balance equals the model's, no limited account is
past its limit, every journal has the model's state and one entry per state change.

Each example works on fresh accounts and keys (a random prefix) in one database per backend.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy.orm import Session, sessionmaker

import ledger as L
from ledger import schema
from tests.ledger.helpers import NOW

ASSETS = (L.IDR, "KG:UREA", "KG:NPK")
LIMITS = (L.Limit.NONE, L.Limit.DEBITS_MUST_NOT_EXCEED_CREDITS, L.Limit.CREDITS_MUST_NOT_EXCEED_DEBITS)
COUNTERS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")


@dataclass
class MAccount:
    id: uuid.UUID
    asset: str
    limit: L.Limit
    closed: bool = False
    c: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))

    def short(self) -> int:
        if self.limit is L.Limit.DEBITS_MUST_NOT_EXCEED_CREDITS:
            return max(0, self.c["debits_posted"] + self.c["debits_pending"] - self.c["credits_posted"])
        if self.limit is L.Limit.CREDITS_MUST_NOT_EXCEED_DEBITS:
            return max(0, self.c["credits_posted"] + self.c["credits_pending"] - self.c["debits_posted"])
        return 0


@dataclass
class MJournal:
    spec: L.JournalSpec
    id: uuid.UUID
    state: L.JournalState
    expires_at: Any
    changes: int = 1


class Model:
    """The trusted model: dicts and integers, TigerBeetle's rules written out plainly."""

    def __init__(self) -> None:
        self.accounts: dict[uuid.UUID, MAccount] = {}
        self.journals: dict[str, MJournal] = {}

    def apply(self, legs: Sequence[L.Leg], suffix: str, sign: int = 1) -> None:
        for leg in legs:
            self.accounts[leg.debit].c["debits_" + suffix] += sign * leg.amount
            self.accounts[leg.credit].c["credits_" + suffix] += sign * leg.amount

    def refusal(self, spec: L.JournalSpec) -> type[L.LedgerError] | None:
        """What the ledger must refuse ``spec`` with (None: accepted). Leaves the model unchanged."""
        for leg in spec.legs:
            for account_id in (leg.debit, leg.credit):
                if self.accounts[account_id].closed:
                    return L.AccountClosed
                if self.accounts[account_id].asset != leg.asset:
                    return L.AssetMismatch
        suffix = "pending" if spec.pending else "posted"
        self.apply(spec.legs, suffix)
        short = any(a.short() for a in self.accounts.values())
        self.apply(spec.legs, suffix, -1)
        return L.LimitExceeded if short else None


class LedgerMachine(RuleBasedStateMachine):
    sessions: sessionmaker[Session]

    def __init__(self) -> None:
        super().__init__()
        self.m = Model()
        self.prefix = uuid.uuid4().hex[:10]
        self.now = NOW
        self.n = 0
        self.sources: dict[str, uuid.UUID] = {}

    def tx(self, fn: Any) -> Any:
        with self.sessions() as s, s.begin():
            return fn(s)

    def key(self) -> str:
        self.n += 1
        return f"{self.prefix}-{self.n}"

    def open(self, asset: str, limit: L.Limit) -> MAccount:
        acc = self.tx(lambda s: L.open_account(s, key=self.key(), kind="test", asset=asset, limit=limit, now=self.now))
        self.m.accounts[acc.id] = MAccount(acc.id, asset, limit)
        return self.m.accounts[acc.id]

    @initialize()
    def accounts(self) -> None:
        for asset in ASSETS:
            self.sources[asset] = self.open(asset, L.Limit.NONE).id
            for limit in LIMITS:
                self.open(asset, limit)
            self.open(asset, L.Limit.DEBITS_MUST_NOT_EXCEED_CREDITS)
        for account in list(self.m.accounts.values()):
            self.fund_account(account, 150)

    def fund_account(self, account: MAccount, amount: int) -> None:
        """Give a limited account room: credits for a debit limit, debits for a credit limit."""
        src = self.sources[account.asset]
        if account.limit is L.Limit.NONE or account.closed:
            return
        leg = L.Leg(src, account.id, account.asset, amount)
        if account.limit is L.Limit.CREDITS_MUST_NOT_EXCEED_DEBITS:
            leg = L.Leg(account.id, src, account.asset, amount)
        spec = L.JournalSpec(self.key(), L.JournalKind.TOPUP, [leg])
        if self.m.refusal(spec) is None:
            self.record(spec, self.tx(lambda s: L.submit(s, spec, now=self.now)))

    @rule(data=st.data(), amount=st.integers(1, 200))
    def fund(self, data: st.DataObject, amount: int) -> None:
        self.fund_account(self.m.accounts[data.draw(st.sampled_from(sorted(self.m.accounts, key=str)))], amount)

    # -------------------------------------------------------------- journals

    def draw_spec(self, data: st.DataObject, *, key: str | None = None) -> L.JournalSpec:
        legs = []
        for _ in range(data.draw(st.integers(1, 4), label="legs")):
            asset = data.draw(st.sampled_from(ASSETS), label="asset")
            same = sorted((a.id for a in self.m.accounts.values() if a.asset == asset), key=str)
            debit, credit = data.draw(st.lists(st.sampled_from(same), min_size=2, max_size=2, unique=True), label="pair")
            if data.draw(st.integers(0, 30), label="mismatch") == 0:  # now and then a leg of another asset
                asset = next(a for a in ASSETS if a != asset)
            legs.append(L.Leg(debit, credit, asset, data.draw(st.integers(1, 60), label="amount")))
        pending = data.draw(st.booleans(), label="pending")
        remote = pending and data.draw(st.booleans(), label="remote")
        timeout = timedelta(minutes=data.draw(st.integers(1, 30))) if pending and not remote else None
        return L.JournalSpec(key or self.key(), data.draw(st.sampled_from(list(L.JournalKind))), legs, pending=pending,
                             remote_ref=f"bpjs-{self.n}" if remote else None, timeout=timeout, kiosk="KIOS-001")

    def record(self, spec: L.JournalSpec, result: L.JournalResult) -> None:
        self.m.apply(spec.legs, "pending" if spec.pending else "posted")
        state = L.JournalState.PENDING if spec.pending else L.JournalState.POSTED
        expires = self.now + spec.timeout if spec.timeout else None
        self.m.journals[spec.idempotency_key] = MJournal(spec, result.journal_id, state, expires)
        assert result.state is state and not result.replayed
        for account_id, balance in result.balances.items():  # what a write returns is the truth
            assert {c: getattr(balance, c) for c in COUNTERS} == self.m.accounts[account_id].c

    @rule(data=st.data())
    def submit(self, data: st.DataObject) -> None:
        spec = self.draw_spec(data)
        expected = self.m.refusal(spec)
        if expected is not None:
            with pytest.raises(expected):
                self.tx(lambda s: L.submit(s, spec, now=self.now))
            return
        self.record(spec, self.tx(lambda s: L.submit(s, spec, now=self.now)))

    @rule(data=st.data())
    def submit_batch(self, data: st.DataObject) -> None:
        specs = [self.draw_spec(data) for _ in range(data.draw(st.integers(1, 4), label="batch"))]
        applied: list[L.JournalSpec] = []
        refusal = None
        for i, spec in enumerate(specs):  # in order: each journal sees the ones before it
            expected = self.m.refusal(spec)
            if expected is not None:
                refusal = (i, expected)
                break
            self.m.apply(spec.legs, "pending" if spec.pending else "posted")
            applied.append(spec)
        for spec in applied:  # undo the trial run
            self.m.apply(spec.legs, "pending" if spec.pending else "posted", -1)
        if refusal is not None:
            with pytest.raises(L.BatchRefused) as err:
                self.tx(lambda s: L.submit_batch(s, specs, now=self.now))
            assert err.value.index == refusal[0] and isinstance(err.value.cause, refusal[1])
            return
        for spec, result in zip(specs, self.tx(lambda s: L.submit_batch(s, specs, now=self.now)), strict=True):
            self.record(spec, result)

    @precondition(lambda self: self.m.journals)
    @rule(data=st.data(), same=st.booleans())
    def replay(self, data: st.DataObject, same: bool) -> None:
        key = data.draw(st.sampled_from(sorted(self.m.journals)))
        j = self.m.journals[key]
        if same:
            result = self.tx(lambda s: L.submit(s, j.spec, now=self.now + timedelta(hours=1)))
            assert result.replayed and result.journal_id == j.id and result.state is j.state
            return
        other = L.JournalSpec(key, j.spec.kind, [L.Leg(leg.debit, leg.credit, leg.asset, leg.amount + 1) for leg in j.spec.legs])
        with pytest.raises(L.IdempotencyConflict):
            self.tx(lambda s: L.submit(s, other, now=self.now))

    def pending(self) -> list[str]:
        return sorted(k for k, j in self.m.journals.items() if j.state is L.JournalState.PENDING)

    @rule(data=st.data(), post=st.booleans())
    def settle(self, data: st.DataObject, post: bool) -> None:
        if not self.m.journals:
            return
        key = data.draw(st.sampled_from(self.pending() or sorted(self.m.journals)))
        j = self.m.journals[key]
        act = (lambda s: L.post(s, j.id, now=self.now)) if post else (lambda s: L.void(s, j.id, reason="test", now=self.now))
        if j.state is not L.JournalState.PENDING:
            with pytest.raises(L.AlreadyFinal):
                self.tx(act)
            return
        result = self.tx(act)
        self.m.apply(j.spec.legs, "pending", -1)
        if post:
            self.m.apply(j.spec.legs, "posted")
        j.state, j.changes = (L.JournalState.POSTED if post else L.JournalState.VOIDED), j.changes + 1
        assert result.state is j.state

    @rule(minutes=st.integers(0, 40))
    def expire(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        expired = set(self.tx(lambda s: L.expire_pending(s, now=self.now)))
        mine = {j.id: j for j in self.m.journals.values()}
        due = {j.id for j in mine.values() if j.state is L.JournalState.PENDING and j.expires_at and j.expires_at <= self.now}
        assert expired & set(mine) == due  # other examples' journals are already final
        for journal_id in due:
            j = mine[journal_id]
            self.m.apply(j.spec.legs, "pending", -1)
            j.state, j.changes = L.JournalState.VOIDED, j.changes + 1

    @rule(data=st.data())
    def close(self, data: st.DataObject) -> None:
        others = sorted((a for a in self.m.accounts if a not in self.sources.values()), key=str)
        account = self.m.accounts[data.draw(st.sampled_from(others))]
        if account.c["debits_pending"] or account.c["credits_pending"]:
            with pytest.raises(L.AccountHasPending):
                self.tx(lambda s: L.close_account(s, account.id, now=self.now))
            return
        assert self.tx(lambda s: L.close_account(s, account.id, now=self.now)).closed
        account.closed = True

    @rule(asset=st.sampled_from(ASSETS), limit=st.sampled_from(LIMITS))
    def open_more(self, asset: str, limit: L.Limit) -> None:
        self.open(asset, limit)

    @rule()
    def roll_up(self) -> None:
        self.tx(lambda s: L.roll_up(s, account_ids=list(self.m.accounts)))

    # -------------------------------------------------------------- invariants

    @invariant()
    def balances_match_the_model_and_the_limits(self) -> None:
        got = self.tx(lambda s: L.balances(s, list(self.m.accounts)))
        for account_id, account in self.m.accounts.items():
            b = got[account_id]
            assert {c: getattr(b, c) for c in COUNTERS} == account.c, account
            assert b.available is None or b.available >= 0
        for asset in ASSETS:
            mine = [got[a.id] for a in self.m.accounts.values() if a.asset == asset]
            assert sum(b.net_posted for b in mine) == 0 and sum(b.net_pending for b in mine) == 0

    @invariant()
    def journals_and_entries_match_the_model(self) -> None:
        if not self.m.journals:
            return
        ids = {j.id: j for j in self.m.journals.values()}

        def read(s: Session) -> tuple[dict[Any, str], dict[Any, int]]:
            t, e = schema.journals, schema.entries
            states = dict(s.execute(sa.select(t.c.id, t.c.state).where(t.c.id.in_(list(ids)))).all())
            entries = dict(s.execute(sa.select(e.c.journal_id, sa.func.count()).where(e.c.journal_id.in_(list(ids)))
                                     .group_by(e.c.journal_id)).all())
            return states, entries

        states, entries = self.tx(read)
        assert states == {i: j.state.value for i, j in ids.items()}
        assert entries == {i: j.changes for i, j in ids.items()}


@pytest.mark.slow
def test_ledger_matches_the_model(sessions: sessionmaker[Session]) -> None:
    machine = type("Machine", (LedgerMachine,), {"sessions": sessions})
    run_state_machine_as_test(machine, settings=settings(  # type: ignore[arg-type]
        max_examples=60, stateful_step_count=40, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    ))
