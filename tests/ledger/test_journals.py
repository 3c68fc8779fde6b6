"""Submitting, posting, voiding, expiring and reading journals, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

import ledger as L
from tests.ledger.helpers import NOW, UREA, Kiosk, counts, open_, spec, tx


@pytest.fixture
def kiosk(sessions: sessionmaker[Session]) -> Kiosk:
    return tx(sessions, Kiosk)


def test_posted_at_once_moves_every_leg_and_returns_limited_balances(sessions: sessionmaker[Session], kiosk: Kiosk) -> None:
    result = tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-1", kg=50, rp=90_000), now=NOW))
    assert result.state is L.JournalState.POSTED and not result.replayed
    assert set(result.balances) == {kiosk.card, kiosk.quota, kiosk.stock}  # limited accounts only
    assert result.balances[kiosk.card].available == 10_000
    assert result.balances[kiosk.quota].available == 50 and result.balances[kiosk.stock].available == 450
    b = tx(sessions, lambda s: L.balances(s, [kiosk.card, kiosk.sales, kiosk.sold]))
    assert (b[kiosk.card].debits_posted, b[kiosk.card].credits_posted) == (90_000, 100_000)
    assert b[kiosk.sales].credits_posted == 90_000 and b[kiosk.sold].credits_posted == 50  # sinks exact on read


def test_pending_counts_against_the_limit_then_post_or_void(sessions: sessionmaker[Session], kiosk: Kiosk) -> None:
    first = tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-1", kg=60, rp=60_000, pending=True), now=NOW))
    assert first.state is L.JournalState.PENDING
    assert first.balances[kiosk.card].debits_pending == 60_000 and first.balances[kiosk.card].available == 40_000
    with pytest.raises(L.LimitExceeded) as err:  # 60 kg pending + 60 kg > 100 kg quota
        tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-2", kg=60, rp=1, pending=True), now=NOW))
    assert err.value.account_id == kiosk.quota and err.value.asset == UREA and err.value.shortfall == 20
    posted = tx(sessions, lambda s: L.post(s, first.journal_id, now=NOW + timedelta(seconds=5)))
    assert posted.state is L.JournalState.POSTED
    assert posted.balances[kiosk.card].debits_posted == 60_000 and posted.balances[kiosk.card].debits_pending == 0
    second = tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-3", kg=40, rp=40_000, pending=True), now=NOW))
    voided = tx(sessions, lambda s: L.void(s, second.journal_id, reason="BPJS refused (4030101)", now=NOW))
    assert voided.state is L.JournalState.VOIDED and voided.balances[kiosk.quota].available == 40
    j = tx(sessions, lambda s: L.journal(s, second.journal_id))
    assert j is not None and j.state is L.JournalState.VOIDED and j.reason == "BPJS refused (4030101)"
    assert j.finalized_at == NOW
    for act in (lambda s: L.post(s, second.journal_id, now=NOW), lambda s: L.void(s, first.journal_id, reason="x", now=NOW)):
        with pytest.raises(L.AlreadyFinal):
            tx(sessions, act)
    with pytest.raises(L.UnknownJournal):
        tx(sessions, lambda s: L.post(s, uuid.uuid4(), now=NOW))
    sales = tx(sessions, lambda s: L.balance(s, kiosk.sales))
    assert (sales.credits_posted, sales.credits_pending) == (60_000, 0)


def test_a_pending_credit_does_not_fund_a_debit(sessions: sessionmaker[Session], kiosk: Kiosk) -> None:
    other = tx(sessions, lambda s: open_(s, "card:F2", L.IDR, L.Limit.DEBITS_MUST_NOT_EXCEED_CREDITS))
    tx(sessions, lambda s: L.submit(s, spec("t-1", (kiosk.src, other, L.IDR, 500), pending=True), now=NOW))
    with pytest.raises(L.LimitExceeded):
        tx(sessions, lambda s: L.submit(s, spec("t-2", (other, kiosk.sales, L.IDR, 1)), now=NOW))


def test_refused_journals_write_nothing_even_if_the_caller_commits(sessions: sessionmaker[Session], kiosk: Kiosk,
                                                                   engine: sa.Engine) -> None:
    before = counts(engine)
    refusals = [
        (kiosk.redemption("r-1", kg=101, rp=1), L.LimitExceeded),
        (kiosk.redemption("r-1", kg=1, rp=100_001), L.LimitExceeded),
        (spec("r-1", (kiosk.card, kiosk.redeemed, L.IDR, 5)), L.AssetMismatch),
        (spec("r-1", (kiosk.card, uuid.uuid4(), L.IDR, 5)), L.UnknownAccount),
    ]
    with sessions() as s, s.begin():
        for bad, error in refusals:
            with pytest.raises(error):
                L.submit(s, bad, now=NOW)
        # the caller swallowed the errors and commits its transaction anyway
    assert counts(engine) == before
    ok = tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-1", kg=1, rp=1), now=NOW))
    assert ok.state is L.JournalState.POSTED  # the key was never taken by the refused attempts


def test_idempotent_replay_and_conflict(sessions: sessionmaker[Session], kiosk: Kiosk, engine: sa.Engine) -> None:
    first = tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-1", kg=10, rp=10_000), now=NOW))
    before = counts(engine)
    again = tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-1", kg=10, rp=10_000), now=NOW + timedelta(hours=1)))
    assert again.replayed and again.journal_id == first.journal_id and again.state is L.JournalState.POSTED
    assert again.balances[kiosk.card].available == 90_000
    assert counts(engine) == before  # a replay changes nothing
    with pytest.raises(L.IdempotencyConflict) as err:
        tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-1", kg=11, rp=10_000), now=NOW))
    assert err.value.fields["journal_id"] == str(first.journal_id)
    assert counts(engine) == before


def test_replay_of_a_refused_key_is_refused_again(sessions: sessionmaker[Session], kiosk: Kiosk) -> None:
    for _ in range(2):
        with pytest.raises(L.LimitExceeded):
            tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-1", kg=500, rp=1), now=NOW))


def test_caller_chosen_journal_id(sessions: sessionmaker[Session], kiosk: Kiosk) -> None:
    wanted = L.new_journal_id(NOW)
    r = tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-1", kg=1, rp=1, pending=True, remote_ref=str(wanted),
                                                            journal_id=wanted), now=NOW))
    assert r.journal_id == wanted
    with pytest.raises(L.InvalidInput):  # another key cannot take the same id
        tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-2", kg=1, rp=1, journal_id=wanted), now=NOW))
    found = tx(sessions, lambda s: L.journals_by_remote_ref(s, str(wanted)))
    assert [j.id for j in found] == [wanted]


def test_expiry_voids_local_pending_journals_only(sessions: sessionmaker[Session], kiosk: Kiosk) -> None:
    local = tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-1", kg=10, rp=1, pending=True, timeout=timedelta(minutes=5)), now=NOW))
    remote = tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-2", kg=10, rp=1, pending=True, remote_ref="bpjs-1"), now=NOW))
    posted = tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-3", kg=10, rp=1, pending=True, timeout=timedelta(minutes=1)), now=NOW))
    tx(sessions, lambda s: L.post(s, posted.journal_id, now=NOW))
    assert tx(sessions, lambda s: L.expire_pending(s, now=NOW + timedelta(minutes=4))) == []
    assert tx(sessions, lambda s: L.expire_pending(s, now=NOW + timedelta(days=365))) == [local.journal_id]
    assert tx(sessions, lambda s: L.expire_pending(s, now=NOW + timedelta(days=365))) == []
    j = tx(sessions, lambda s: L.journal(s, local.journal_id))
    assert j is not None and j.state is L.JournalState.VOIDED and j.reason == "expired"
    kinds = [e.kind for e in tx(sessions, lambda s: L.journal_entries(s, local.journal_id))]
    assert kinds == ["journal.submitted", "journal.expired"]
    assert [j.id for j in tx(sessions, lambda s: L.pending_journals(s, remote=True))] == [remote.journal_id]
    assert tx(sessions, lambda s: L.pending_journals(s, remote=False)) == []
    assert tx(sessions, lambda s: L.balance(s, kiosk.quota)).debits_pending == 10  # only the remote one holds quota


def test_every_state_change_is_one_entry_with_the_whole_journal(sessions: sessionmaker[Session], kiosk: Kiosk) -> None:
    r = tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-1", kg=3, rp=300, pending=True), now=NOW))
    tx(sessions, lambda s: L.post(s, r.journal_id, now=NOW + timedelta(seconds=1)))
    found = tx(sessions, lambda s: L.journal_entries(s, r.journal_id))
    assert [e.kind for e in found] == ["journal.submitted", "journal.posted"]
    bodies = [L.decode(e.body) for e in found]
    assert [b["journal"]["state"] for b in bodies] == ["pending", "posted"]
    assert bodies[1]["journal"]["legs"][1] == {"amount": 3, "asset": UREA, "debit": str(kiosk.quota), "credit": str(kiosk.redeemed)}
    assert bodies[1]["at"] == "2026-12-04T02:00:01.000000Z" and bodies[1]["id"] == str(found[1].id)
    assert bodies[0]["journal"]["farmer"] == "F-ABCDEFGHJKLM" and bodies[0]["journal"]["idempotency_key"] == "r-1"


def test_journal_lookup_and_history(sessions: sessionmaker[Session], kiosk: Kiosk) -> None:
    ids = [tx(sessions, lambda s, i=i: L.submit(s, kiosk.redemption(f"r-{i}", kg=1, rp=10 + i, memo={"n": str(i)}), now=NOW + timedelta(seconds=i))).journal_id
           for i in range(5)]
    j = tx(sessions, lambda s: L.journal_by_key(s, "r-2"))
    assert j is not None and j.id == ids[2] and dict(j.memo) == {"n": "2"} and j.kiosk == "KIOS-001"
    assert j.created_at == NOW + timedelta(seconds=2) and j.legs[0] == L.Leg(kiosk.card, kiosk.sales, L.IDR, 12)
    assert tx(sessions, lambda s: L.journal(s, uuid.uuid4())) is None
    page1 = tx(sessions, lambda s: L.history(s, kiosk.card, limit=2))
    assert [h.journal_id for h in page1] == [ids[4], ids[3]] and page1[0].amount == 14 and page1[0].counterparty == kiosk.sales
    page2 = tx(sessions, lambda s: L.history(s, kiosk.card, before=page1[-1].journal_id, limit=10))
    assert [h.journal_id for h in page2][:3] == [ids[2], ids[1], ids[0]] and page2[-1].kind is L.JournalKind.TOPUP
    assert page2[-1].amount == -100_000  # the funding credit, debit-positive for this account
    with pytest.raises(L.UnknownAccount):
        tx(sessions, lambda s: L.history(s, uuid.uuid4()))


def test_structured_log_lines(sessions: sessionmaker[Session], kiosk: Kiosk, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="ledger"):
        r = tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-1", kg=1, rp=1), now=NOW))
    assert f"event=journal_submitted journal={r.journal_id} kind=redemption state=posted legs=3" in caplog.text


def test_naive_time_refused(sessions: sessionmaker[Session], kiosk: Kiosk) -> None:
    from datetime import datetime

    with pytest.raises(L.InvalidInput):
        tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-1", kg=1, rp=1), now=datetime(2026, 12, 4)))


def test_bad_arguments_of_queue_reads(sessions: sessionmaker[Session], kiosk: Kiosk) -> None:
    from datetime import datetime

    for bad in (0, -1, "5"):
        with pytest.raises(L.InvalidInput):
            tx(sessions, lambda s, b=bad: L.expire_pending(s, now=NOW, limit=b))  # type: ignore[arg-type]
    with pytest.raises(L.InvalidInput):
        tx(sessions, lambda s: L.pending_journals(s, older_than=datetime(2026, 12, 4)))
    with pytest.raises(L.InvalidInput):
        tx(sessions, lambda s: L.pending_journals(s, limit=0))
    old = tx(sessions, lambda s: L.submit(s, kiosk.redemption("r-1", kg=1, rp=1, pending=True, remote_ref="b-1"), now=NOW))
    assert [j.id for j in tx(sessions, lambda s: L.pending_journals(s, older_than=NOW + timedelta(seconds=1)))] == [old.journal_id]
    assert tx(sessions, lambda s: L.pending_journals(s, older_than=NOW)) == []
