"""Sealing on both databases: order by commit (never by id), late commits, batches, one sealer at a time."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

import ledger as L
from ledger.audit import MemoryHashStore, leaf_hash, tree_root
from ledger.audit import db as audit_db
from ledger.audit.db.store import SqlHashStore
from ledger.audit.tree import consistency_proof, inclusion_proof
from ledger.schema import entries, seal
from tests.ledger.audit.world import Booked, new_signer, seal_all
from tests.ledger.helpers import NOW, Kiosk, spec, tx

OLD_ID = uuid.UUID("01800000-0000-7000-8000-000000000001")  # a UUIDv7 of 2022: older than any id made now


def sealed(engine: sa.Engine) -> list[tuple[int, str, bytes, bytes]]:
    """(seq, kind, leaf hash, body) in sequence order."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT s.seq, e.kind, s.leaf_hash, e.body FROM ledger_seal s "
                                    "JOIN ledger_entries e ON e.id = s.entry_id ORDER BY s.seq")).all()
    return [(int(r[0]), r[1], bytes(r[2]), bytes(r[3])) for r in rows]


def seq_of_journal(engine: sa.Engine, journal_id: uuid.UUID) -> int:
    """The sequence number of the (only) entry of a journal posted at once."""
    with engine.connect() as conn:
        stmt = sa.select(seal.c.seq).join(entries, entries.c.id == seal.c.entry_id).where(entries.c.journal_id == journal_id)
        return int(conn.execute(stmt).scalar_one())


def test_every_entry_is_sealed_once_with_its_leaf_hash_and_the_tree_matches_memory(
        engine: sa.Engine, sessions: sessionmaker[Session]) -> None:
    Booked(sessions)
    with engine.connect() as conn:
        total = conn.execute(sa.text("SELECT count(*) FROM ledger_entries")).scalar_one()
    assert tx(sessions, audit_db.queued) == total == 15  # 9 accounts + fund + 3 submitted + post + void
    assert seal_all(sessions) == total
    rows = sealed(engine)
    assert [r[0] for r in rows] == list(range(total))
    assert all(r[2] == leaf_hash(r[3]) for r in rows)
    memory = MemoryHashStore(r[2] for r in rows)
    with engine.connect() as conn:
        store = SqlHashStore(conn)
        assert store.size == total
        for size in range(1, total + 1):
            assert tree_root(store, size) == tree_root(memory, size)
            assert inclusion_proof(store, size - 1, size) == inclusion_proof(memory, size - 1, size)
            assert consistency_proof(store, 1, size) == consistency_proof(memory, 1, size)
        nodes = conn.execute(sa.text("SELECT count(*) FROM ledger_audit_nodes")).scalar_one()
    assert nodes == total - bin(total).count("1")  # 2n - popcount(n) node rows, n of them leaves
    assert tx(sessions, audit_db.queued) == 0 and seal_all(sessions) == 0


def test_a_batch_is_causal_accounts_first_then_submissions_then_settlements(
        engine: sa.Engine, sessions: sessionmaker[Session]) -> None:
    Booked(sessions)  # the post and void carry later times, but ids are never the order
    seal_all(sessions)
    kinds = [r[1] for r in sealed(engine)]
    assert kinds.index("journal.posted") > max(i for i, k in enumerate(kinds) if k == "journal.submitted")
    assert max(i for i, k in enumerate(kinds) if k == "account.opened") < kinds.index("journal.submitted")


def test_an_older_entry_committed_after_a_seal_gets_a_later_sequence_number(
        engine: sa.Engine, sessions: sessionmaker[Session]) -> None:
    world = Booked(sessions)
    seal_all(sessions)
    late = world.redeem("late", 1, 1_800, at=NOW + timedelta(hours=1))
    seal_all(sessions)
    early = world.redeem("early", 1, 1_800, at=NOW - timedelta(days=1), journal_id=OLD_ID)  # older id and time
    assert early.int < late.int
    seal_all(sessions)
    assert seq_of_journal(engine, early) == seq_of_journal(engine, late) + 1


def test_a_transaction_in_flight_is_invisible_and_sealed_after_it_commits(
        db_backend: str, engine: sa.Engine, sessions: sessionmaker[Session]) -> None:
    if db_backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: no transaction is in flight while another seals")
    world = Booked(sessions)
    seal_all(sessions)
    slow = sessions()
    slow.begin()
    slow_spec = world.kiosk.redemption("slow", 1, 1_800, journal_id=OLD_ID)
    early = L.submit(slow, slow_spec, now=NOW - timedelta(days=1)).journal_id
    k = world.kiosk  # unlimited accounts only: nothing the slow transaction has locked
    quick = tx(sessions, lambda s: L.submit(s, spec("quick", (k.src, k.bpjs, L.IDR, 100)), now=NOW + timedelta(hours=1)))
    quick = quick.journal_id
    assert seal_all(sessions) == 1  # only the committed one
    slow.commit()
    slow.close()
    assert seal_all(sessions) == 1
    assert early.int < quick.int
    assert seq_of_journal(engine, early) == seq_of_journal(engine, quick) + 1 == len(sealed(engine)) - 1


def test_batches_are_bounded(engine: sa.Engine, sessions: sessionmaker[Session]) -> None:
    Booked(sessions)
    first = tx(sessions, lambda s: audit_db.seal(s, now=NOW, limit=4))
    assert (first.sealed, first.size) == (4, 4)
    second = tx(sessions, lambda s: audit_db.seal(s, now=NOW, limit=4))
    assert (second.sealed, second.size) == (4, 8)
    with pytest.raises(ValueError):
        tx(sessions, lambda s: audit_db.seal(s, now=NOW, limit=0))


def test_a_second_sealer_waits_for_the_first_and_continues_from_its_size(
        engine: sa.Engine, sessions: sessionmaker[Session]) -> None:
    Booked(sessions)
    first = sessions()
    first.begin()
    assert audit_db.seal(first, now=NOW, limit=5).size == 5
    done: list[audit_db.SealResult] = []
    other = threading.Thread(target=lambda: done.append(tx(sessions, lambda s: audit_db.seal(s, now=NOW, limit=5))))
    other.start()
    time.sleep(0.5)
    assert not done, "the second sealer must wait for the first one's transaction"
    first.commit()
    first.close()
    other.join(30)
    assert done and done[0].size == 10
    assert [r[0] for r in sealed(engine)] == list(range(10))


@pytest.mark.slow
def test_concurrent_sealers_and_writers_keep_one_gapless_log(engine: sa.Engine, sessions: sessionmaker[Session]) -> None:
    kiosk: Kiosk = tx(sessions, lambda s: Kiosk(s, card_funds=10_000_000, quota_kg=10_000, stock_kg=10_000))
    stop = threading.Event()
    errors: list[BaseException] = []

    def sealer() -> None:
        while not stop.is_set():
            try:
                L.run_in_transaction(sessions, lambda s: audit_db.seal(s, now=NOW, limit=3))
            except BaseException as exc:  # surfaced below
                errors.append(exc)
                return

    def writer(n: int) -> None:
        for i in range(12):
            spec = kiosk.redemption(f"w{n}-{i}", 1, 1_800)
            L.run_in_transaction(sessions, lambda s: L.submit(s, spec, now=NOW))

    sealers = [threading.Thread(target=sealer) for _ in range(3)]
    writers = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
    for t in (*sealers, *writers):
        t.start()
    for t in writers:
        t.join(120)
    stop.set()
    for t in sealers:
        t.join(120)
    assert errors == []
    seal_all(sessions)
    rows = sealed(engine)
    with engine.connect() as conn:
        total = conn.execute(sa.text("SELECT count(*) FROM ledger_entries")).scalar_one()
    assert [r[0] for r in rows] == list(range(total)) and len({r[3] for r in rows}) == total
    signer = new_signer()
    tx(sessions, lambda w: audit_db.write_checkpoint(w, signer, now=NOW))
    with audit_db.read_snapshot(engine) as s:
        report = audit_db.verify_live(s, signer.verifier)
    assert report.size == total
