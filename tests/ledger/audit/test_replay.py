"""What entries must mean: the replay names unbalanced journals, unknown accounts, impossible state moves."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator

import pytest

import ledger as L
from ledger.audit import LogVerificationError
from ledger.entries import EntryKind, account_entry, admin_entry, journal_entry
from ledger.ids import new_id
from ledger.verify import Entry, Replay, decode_entry
from tests.ledger.helpers import NOW

D, N = L.Limit.DEBITS_MUST_NOT_EXCEED_CREDITS, L.Limit.NONE


def account(asset: str = L.IDR, limit: L.Limit = N) -> L.Account:
    return L.Account(new_id(NOW), f"k:{uuid.uuid4().hex[:8]}", "test", asset, limit, None, NOW, None)


def journal(*legs: tuple[L.Account, L.Account, str, int], state: L.JournalState = L.JournalState.POSTED,
            **changes: object) -> L.Journal:
    j = L.Journal(id=new_id(NOW), idempotency_key=f"j:{uuid.uuid4().hex[:8]}", kind=L.JournalKind.ADJUSTMENT, state=state,
                  legs=tuple(L.Leg(d.id, c.id, a, n) for d, c, a, n in legs), kiosk=None, farmer=None, remote_ref=None,
                  memo={}, created_at=NOW, expires_at=None,
                  finalized_at=None if state is L.JournalState.PENDING else NOW, reason=None)
    return dataclasses.replace(j, **changes)  # type: ignore[arg-type]


class Log:
    def __init__(self, *, exact_ids: bool = False) -> None:
        self.replay = Replay(exact_ids=exact_ids)
        self.seq = 0
        self.bodies: list[bytes] = []

    def add(self, body: bytes) -> None:
        self.replay.add(self.seq, decode_entry(body, self.seq))
        self.bodies.append(body)
        self.seq += 1

    def rescan(self) -> Iterator[tuple[int, Entry]]:
        return ((seq, decode_entry(body, seq)) for seq, body in enumerate(self.bodies))

    def open(self, *accounts: L.Account) -> None:
        for a in accounts:
            self.add(account_entry(new_id(NOW), EntryKind.ACCOUNT_OPENED, NOW, a))

    def journal(self, kind: EntryKind, j: L.Journal) -> None:
        self.add(journal_entry(new_id(NOW), kind, NOW, j))


def named(fn: Callable[[], object], code: str) -> LogVerificationError:
    with pytest.raises(LogVerificationError) as caught:
        fn()
    assert caught.value.code == code, caught.value
    return caught.value


def test_balances_are_rebuilt_through_pending_posted_and_voided() -> None:
    log, src, card = Log(), account(), account(limit=D)
    log.open(src, card)
    log.journal(EntryKind.JOURNAL_SUBMITTED, journal((src, card, L.IDR, 100)))
    pending = journal((card, src, L.IDR, 30), state=L.JournalState.PENDING)
    log.journal(EntryKind.JOURNAL_SUBMITTED, pending)
    log.journal(EntryKind.JOURNAL_POSTED, dataclasses.replace(pending, state=L.JournalState.POSTED, finalized_at=NOW))
    voided = journal((card, src, L.IDR, 50), state=L.JournalState.PENDING)
    log.journal(EntryKind.JOURNAL_SUBMITTED, voided)
    log.journal(EntryKind.JOURNAL_VOIDED, dataclasses.replace(voided, state=L.JournalState.VOIDED, finalized_at=NOW, reason="x"))
    log.add(admin_entry(new_id(NOW), "fertilizer.price_set", NOW, {"product": "UREA", "het": 1800}))
    summary = log.replay.finish()
    assert (summary.entries, summary.journals, summary.accounts, summary.pending) == (8, 3, 2, 0)
    assert dict(log.replay.balances())[str(card.id)] == (30, 100, 0, 0)


def test_a_leg_across_assets_unbalances_the_journal() -> None:
    log, idr, kg = Log(), account(), account(L.kg_asset("UREA"))
    log.open(idr, kg)
    err = named(lambda: log.journal(EntryKind.JOURNAL_SUBMITTED, journal((idr, kg, L.IDR, 5))), "journal_unbalanced")
    assert err.fields["difference"] in (5, -5)


def test_unknown_accounts_closed_accounts_and_repeats_are_named() -> None:
    log, a, b = Log(exact_ids=True), account(), account()
    log.open(a)
    named(lambda: log.journal(EntryKind.JOURNAL_SUBMITTED, journal((a, b, L.IDR, 5))), "journal_bad_leg")
    named(lambda: log.open(a), "account_repeated")
    log.open(b)
    j = journal((a, b, L.IDR, 5))
    log.journal(EntryKind.JOURNAL_SUBMITTED, j)
    named(lambda: log.journal(EntryKind.JOURNAL_SUBMITTED, j), "journal_repeated")
    log.add(account_entry(new_id(NOW), EntryKind.ACCOUNT_CLOSED, NOW, dataclasses.replace(b, closed_at=NOW)))
    named(lambda: log.journal(EntryKind.JOURNAL_SUBMITTED, journal((a, b, L.IDR, 5))), "journal_bad_leg")


def test_a_state_change_must_follow_a_pending_journal_and_keep_its_legs() -> None:
    log, a, b = Log(), account(), account()
    log.open(a, b)
    posted = journal((a, b, L.IDR, 5))
    named(lambda: log.journal(EntryKind.JOURNAL_POSTED, posted), "journal_not_pending")
    pending = journal((a, b, L.IDR, 5), state=L.JournalState.PENDING)
    log.journal(EntryKind.JOURNAL_SUBMITTED, pending)
    changed = dataclasses.replace(pending, state=L.JournalState.POSTED, finalized_at=NOW, legs=(L.Leg(a.id, b.id, L.IDR, 6),))
    assert named(lambda: log.journal(EntryKind.JOURNAL_POSTED, changed), "journal_changed").fields["field"] == "legs"


def test_a_limited_account_rebuilt_past_its_limit_is_named() -> None:
    log, src, card = Log(), account(), account(limit=D)
    log.open(src, card)
    log.journal(EntryKind.JOURNAL_SUBMITTED, journal((card, src, L.IDR, 1)))
    assert named(log.replay.finish, "account_over_limit").fields["account"] == str(card.id)


def test_an_entry_of_the_wrong_shape_is_named() -> None:
    log = Log()
    body = account_entry(new_id(NOW), EntryKind.ACCOUNT_OPENED, NOW, account()).replace(b'"account.opened"', b'"journal.submitted"')
    named(lambda: log.add(body), "entry_malformed")


def test_without_exact_ids_a_repeated_journal_is_confirmed_at_the_end_and_named() -> None:
    log, a, b = Log(), account(), account()
    log.open(a, b)
    j = journal((a, b, L.IDR, 5))
    log.journal(EntryKind.JOURNAL_SUBMITTED, j)
    log.journal(EntryKind.JOURNAL_SUBMITTED, journal((a, b, L.IDR, 5)))
    log.journal(EntryKind.JOURNAL_SUBMITTED, j)
    err = named(lambda: log.replay.finish(log.rescan), "journal_repeated")
    assert (err.fields["seq"], err.fields["journal"]) == (4, str(j.id))


def test_two_journals_sharing_a_fingerprint_are_not_a_repeat() -> None:
    log, a, b = Log(), account(), account()
    log.open(a, b)
    low = new_id(NOW).int & ((1 << 64) - 1)
    for high in (0x01932E5C4A107000, 0x01932E5C4A107001):
        log.journal(EntryKind.JOURNAL_SUBMITTED, journal((a, b, L.IDR, 5), id=uuid.UUID(int=high << 64 | low)))
    rescanned: list[int] = []

    def rescan() -> Iterator[tuple[int, Entry]]:
        rescanned.append(1)
        return log.rescan()

    assert log.replay.finish(rescan).journals == 2 and rescanned == [1]
