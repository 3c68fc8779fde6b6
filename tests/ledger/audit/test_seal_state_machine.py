"""Hypothesis state machine: the sealed log on a real database against a list and a MemoryHashStore.

Rules write journals (committed), seal with random batch sizes and sign checkpoints; after every step
the seal table must hold exactly the committed entries in the model's order so far, every stored
node must give the model's roots, and every checkpoint must verify and extend the one before.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy.orm import Session, sessionmaker

import ledger as L
from ledger.audit import MemoryHashStore, leaf_hash, open_checkpoint, tree_root, verify_consistency_between
from ledger.audit import db as audit_db
from ledger.audit.db.store import SqlHashStore
from ledger.storage import create_engine
from tests.ledger.audit.world import new_signer
from tests.ledger.helpers import NOW, Kiosk, tx
from tests.support.databases import SqliteDatabases


@pytest.mark.slow
def test_the_sealed_log_matches_its_model(sqlite_databases: SqliteDatabases) -> None:
    url = sqlite_databases.create()
    engine = create_engine(url)
    sessions: sessionmaker[Session] = sessionmaker(engine, expire_on_commit=False)
    kiosk: Kiosk = tx(sessions, lambda s: Kiosk(s, card_funds=10**9, quota_kg=10**6, stock_kg=10**6))
    signer = new_signer()
    counter = iter(range(10**9))

    class SealedLog(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            with engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT leaf_hash FROM ledger_seal ORDER BY seq")).scalars().all()
            self.model = MemoryHashStore(bytes(h) for h in rows)
            self.checkpoints = [c.note for c in tx(sessions, lambda s: audit_db.all_checkpoints(s.connection()))]

        @rule(n=st.integers(1, 3))
        def write(self, n: int) -> None:
            def submit(s: Session) -> None:
                for _ in range(n):
                    L.submit(s, kiosk.redemption(f"sm{next(counter)}", 1, 100), now=NOW)

            tx(sessions, submit)

        @rule(limit=st.integers(1, 5))
        def seal(self, limit: int) -> None:
            before = self.model.size
            with engine.connect() as conn:
                queued = conn.execute(sa.text(
                    "SELECT e.body FROM ledger_seal_queue q JOIN ledger_entries e ON e.id = q.entry_id "
                    "ORDER BY q.rank, q.created_at, q.entry_id")).scalars().all()
            result = tx(sessions, lambda s: audit_db.seal(s, now=NOW, limit=limit))
            assert result.sealed == min(limit, len(queued)) and result.size == before + result.sealed
            for body in queued[: result.sealed]:
                self.model.append(leaf_hash(bytes(body)))

        @rule()
        def checkpoint(self) -> None:
            row = tx(sessions, lambda s: audit_db.write_checkpoint(s, signer, now=NOW)).row
            assert row.size == self.model.size and row.root_hash == self.model.root()
            if not self.checkpoints or self.checkpoints[-1] != row.note:
                self.checkpoints.append(row.note)

        @invariant()
        def the_store_is_the_model(self) -> None:
            with engine.connect() as conn:
                store = SqlHashStore(conn)
                assert store.size == self.model.size
                for size in {0, 1, self.model.size // 2, self.model.size}:
                    if size <= self.model.size:
                        assert tree_root(store, size) == tree_root(self.model, size)

        @invariant()
        def every_checkpoint_extends_the_last(self) -> None:
            opened = [open_checkpoint(n, signer.verifier).checkpoint for n in self.checkpoints]
            for old, new in zip(opened, opened[1:]):
                proof = tx(sessions, lambda s: audit_db.consistency_between(s, old.size, new.size)).proof
                verify_consistency_between(old, new, list(proof))

    try:
        run_state_machine_as_test(SealedLog, settings=settings(max_examples=15, stateful_step_count=12, deadline=None))
    finally:
        engine.dispose()
        sqlite_databases.drop(url)
