"""The ledger's invariants as small pure functions (DESIGN §4; beancount's ``ops/validation``).

The database adapter loads counters under lock, calls these, and writes what they return; the
schema repeats each invariant as a constraint (CHECK, composite foreign key, trigger).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from ledger.entries import encode_validated
from ledger.errors import AccountClosed, AssetMismatch, LimitExceeded, UnknownAccount
from ledger.ids import id_order
from ledger.model import JournalSpec, Leg, Limit

SPEC_VERSION = 1
_MICROSECOND = timedelta(microseconds=1)


class AccountLike(Protocol):
    """``ledger.model.Account`` or ``AccountFacts``: what the rules read of an account."""

    @property
    def asset(self) -> str: ...

    @property
    def limit(self) -> Limit: ...

    @property
    def closed(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Counters:
    debits_posted: int = 0
    credits_posted: int = 0
    debits_pending: int = 0
    credits_pending: int = 0

    def __add__(self, other: Counters) -> Counters:
        return Counters(
            self.debits_posted + other.debits_posted,
            self.credits_posted + other.credits_posted,
            self.debits_pending + other.debits_pending,
            self.credits_pending + other.credits_pending,
        )

    def __neg__(self) -> Counters:
        return Counters(-self.debits_posted, -self.credits_posted, -self.debits_pending, -self.credits_pending)

    @property
    def is_zero(self) -> bool:
        return not (self.debits_posted or self.credits_posted or self.debits_pending or self.credits_pending)


def shortfall(limit: Limit, c: Counters) -> int:
    """How far ``c`` is past ``limit`` (0 when within it). Pending debits (credits) count against
    a debit (credit) limit; pending credits (debits) do not help it (TigerBeetle's rule)."""
    if limit is Limit.DEBITS_MUST_NOT_EXCEED_CREDITS:
        return max(0, c.debits_posted + c.debits_pending - c.credits_posted)
    if limit is Limit.CREDITS_MUST_NOT_EXCEED_DEBITS:
        return max(0, c.credits_posted + c.credits_pending - c.debits_posted)
    return 0


def leg_deltas(legs: Iterable[Leg], *, pending: bool) -> dict[uuid.UUID, Counters]:
    """Counter changes of submitting ``legs`` as pending or as posted. Summed in plain lists and
    made ``Counters`` once per account: this runs for every journal (8 legs: 13 µs, against 31 µs
    adding a ``Counters`` per leg and side)."""
    debit, credit = (2, 3) if pending else (0, 1)
    sums: dict[uuid.UUID, list[int]] = {}
    for leg in legs:
        sums.setdefault(leg.debit, [0, 0, 0, 0])[debit] += leg.amount
        sums.setdefault(leg.credit, [0, 0, 0, 0])[credit] += leg.amount
    return {account_id: Counters(*c) for account_id, c in sums.items()}


def settle_deltas(legs: Iterable[Leg], *, post: bool) -> dict[uuid.UUID, Counters]:
    """Counter changes of posting (``post``) or voiding a pending journal with ``legs``."""
    out: dict[uuid.UUID, Counters] = {}
    for leg in legs:
        if post:
            d = Counters(debits_posted=leg.amount, debits_pending=-leg.amount)
            c = Counters(credits_posted=leg.amount, credits_pending=-leg.amount)
        else:
            d, c = Counters(debits_pending=-leg.amount), Counters(credits_pending=-leg.amount)
        out[leg.debit] = out.get(leg.debit, Counters()) + d
        out[leg.credit] = out.get(leg.credit, Counters()) + c
    return out


def check_accounts(legs: Iterable[Leg], accounts: Mapping[uuid.UUID, AccountLike]) -> None:
    """Every leg names existing, open accounts holding the leg's asset."""
    for i, leg in enumerate(legs):
        for account_id in (leg.debit, leg.credit):
            account = accounts.get(account_id)
            if account is None:
                raise UnknownAccount(account_id)
            if account.closed:
                raise AccountClosed(account_id)
            if account.asset != leg.asset:
                raise AssetMismatch(account_id, account.asset, leg.asset, leg=i)


def apply_with_limits(
    counters: Mapping[uuid.UUID, Counters],
    deltas: Mapping[uuid.UUID, Counters],
    accounts: Mapping[uuid.UUID, AccountLike],
) -> dict[uuid.UUID, Counters]:
    """New counters of the limited accounts in ``deltas``, or LimitExceeded for the first (by id)
    that the whole journal would take past its limit."""
    out: dict[uuid.UUID, Counters] = {}
    for account_id in sorted(deltas, key=id_order):
        account = accounts[account_id]
        if account.limit is Limit.NONE:
            continue
        new = counters[account_id] + deltas[account_id]
        short = shortfall(account.limit, new)
        if short:
            raise LimitExceeded(account_id, account.asset, short)
        out[account_id] = new
    return out


def spec_body(spec: JournalSpec) -> dict[str, object]:
    """Everything of a spec that an idempotent replay must repeat exactly."""
    return {
        "v": SPEC_VERSION,
        "kind": spec.kind.value,
        "legs": [
            {"debit": str(leg.debit), "credit": str(leg.credit), "asset": leg.asset, "amount": leg.amount}
            for leg in spec.legs
        ],
        "kiosk": spec.kiosk,
        "farmer": spec.farmer,
        "remote_ref": spec.remote_ref,
        "pending": spec.pending,
        "timeout_us": None if spec.timeout is None else spec.timeout // _MICROSECOND,
        "memo": dict(spec.memo),
        "journal_id": None if spec.journal_id is None else str(spec.journal_id),
    }


def spec_digest(spec: JournalSpec) -> str:
    """SHA-256 (hex) of the spec's canonical body: equal for a replay, different for a conflict."""
    return hashlib.sha256(encode_validated(spec_body(spec))).hexdigest()
