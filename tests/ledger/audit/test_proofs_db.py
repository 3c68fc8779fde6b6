"""Checkpoints and proofs from the database, checked with part A's verifier on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

import ledger as L
from ledger.audit import (
    LogStateError,
    ProofError,
    open_checkpoint,
    verify_consistency_between,
    verify_inclusion_at,
)
from ledger.audit import db as audit_db
from tests.ledger.audit.world import Booked, checkpoint, drop_guards, new_signer, raw, seal_all
from tests.ledger.helpers import NOW, tx


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> Booked:
    return Booked(sessions)


def test_checkpoints_are_signed_notes_kept_forever_and_written_only_when_the_log_grew(
        engine: sa.Engine, sessions: sessionmaker[Session], world: Booked) -> None:
    signer = new_signer()
    first = checkpoint(sessions, signer)
    opened = open_checkpoint(first.note, signer.verifier).checkpoint
    assert (opened.size, opened.root_hash) == (first.size, first.root_hash) and first.size == 15
    again = tx(sessions, lambda s: audit_db.write_checkpoint(s, signer, now=NOW))
    assert not again.new and again.row == first
    world.redeem("r4", 1, 1_800)
    second = checkpoint(sessions, signer)
    assert second.size == 16
    with engine.connect() as conn:
        assert [r.size for r in audit_db.all_checkpoints(conn)] == [15, 16]
    with pytest.raises(sa.exc.DBAPIError):
        raw(engine, "DELETE FROM ledger_checkpoints")  # append-only


def test_checkpoints_fall_due_by_entries_or_by_time(sessions: sessionmaker[Session], world: Booked) -> None:
    def due(at: object, every_entries: int = 1000, every_s: float = 60) -> bool:
        return tx(sessions, lambda s: audit_db.checkpoint_due(s, now=at, every_entries=every_entries, every_s=every_s))

    assert due(NOW)  # no checkpoint yet
    checkpoint(sessions, new_signer())
    world.redeem("r4", 1, 1_800)
    seal_all(sessions)
    assert not due(NOW + timedelta(seconds=59))
    assert due(NOW + timedelta(seconds=60))
    assert due(NOW, every_entries=1)


def test_a_journal_proves_its_final_state_change_and_its_receipt_hash_is_known_before_sealing(
        sessions: sessionmaker[Session], world: Booked) -> None:
    signer = new_signer()
    posted_later = world.journals[1]
    before = tx(sessions, lambda s: L.leaf_hash_of_journal(s, posted_later))
    with pytest.raises(LogStateError) as unsealed:
        tx(sessions, lambda s: audit_db.inclusion_for_journal(s, posted_later))
    assert unsealed.value.code == "entry_not_sealed"
    checkpoint(sessions, signer)
    proof = tx(sessions, lambda s: audit_db.inclusion_for_journal(s, posted_later))
    assert proof.leaf_hash == before and proof.journal_id == posted_later
    with sessions() as s:
        kinds = [e.kind for e in L.journal_entries(s, posted_later)]
    assert kinds == ["journal.submitted", "journal.posted"]
    signed = open_checkpoint(proof.checkpoint.note, signer.verifier).checkpoint
    verify_inclusion_at(signed, leaf_hash=proof.leaf_hash, index=proof.index, proof=list(proof.proof))
    by_leaf = tx(sessions, lambda s: audit_db.inclusion_for_leaf(s, before))
    assert (by_leaf.index, by_leaf.journal_id, by_leaf.proof) == (proof.index, posted_later, proof.proof)
    with pytest.raises(ProofError):  # the same path under another index is refused
        verify_inclusion_at(signed, leaf_hash=proof.leaf_hash, index=proof.index ^ 1, proof=list(proof.proof))
    assert tx(sessions, lambda s: L.leaf_hash_of_journal(s, L.new_journal_id())) is None


def test_an_entry_sealed_after_the_checkpoint_waits_for_the_next(sessions: sessionmaker[Session], world: Booked) -> None:
    signer = new_signer()
    checkpoint(sessions, signer)
    later = world.redeem("r4", 1, 1_800)
    seal_all(sessions)
    with pytest.raises(LogStateError) as waiting:
        tx(sessions, lambda s: audit_db.inclusion_for_journal(s, later))
    assert waiting.value.code == "entry_not_in_checkpoint" and "next checkpoint" in waiting.value.message_en
    checkpoint(sessions, signer)
    assert tx(sessions, lambda s: audit_db.inclusion_for_journal(s, later)).checkpoint.size == 16
    older = tx(sessions, lambda s: audit_db.inclusion_for_journal(s, world.journals[0], checkpoint_size=15))
    assert older.checkpoint.size == 15
    for wrong in (lambda s: audit_db.inclusion_for_leaf(s, bytes(32)), lambda s: audit_db.inclusion_for_journal(s, later, checkpoint_size=3)):
        with pytest.raises(LogStateError):
            tx(sessions, wrong)


def test_consistency_proofs_between_every_pair_of_checkpoints_verify(sessions: sessionmaker[Session], world: Booked) -> None:
    signer = new_signer()
    sizes = [checkpoint(sessions, signer).size]
    for i in range(4):
        for j in range(i + 1):
            world.redeem(f"c{i}-{j}", 1, 100)
        sizes.append(checkpoint(sessions, signer).size)
    for old in sizes:
        for new in sizes:
            if old > new:
                with pytest.raises(ProofError):
                    tx(sessions, lambda s: audit_db.consistency_between(s, old, new))
                continue
            p = tx(sessions, lambda s: audit_db.consistency_between(s, old, new))
            a = open_checkpoint(p.old.note, signer.verifier).checkpoint
            b = open_checkpoint(p.new.note, signer.verifier).checkpoint
            verify_consistency_between(a, b, list(p.proof))
            if p.proof:
                with pytest.raises(ProofError):
                    verify_consistency_between(a, b, list(p.proof[:-1]))


def test_a_tree_altered_in_the_database_is_never_signed_over_nor_proved_from(
        engine: sa.Engine, sessions: sessionmaker[Session], world: Booked) -> None:
    signer = new_signer()
    checkpoint(sessions, signer)
    world.redeem("r4", 1, 1_800)
    seal_all(sessions)
    drop_guards(engine)
    raw(engine, "UPDATE ledger_audit_nodes SET hash = :h WHERE level = 3 AND idx = 0", h=bytes(32))  # leaves 0..7
    with pytest.raises(LogStateError) as refused:
        tx(sessions, lambda s: audit_db.write_checkpoint(s, signer, now=NOW))
    assert refused.value.code == "log_tampered"
    with pytest.raises(LogStateError) as no_proof:  # the posting is entry 13: its path holds node (3, 0)
        tx(sessions, lambda s: audit_db.inclusion_for_journal(s, world.journals[1]))
    assert no_proof.value.code == "log_tampered"
    raw(engine, "UPDATE ledger_seal SET leaf_hash = :h WHERE seq = 14", h=bytes([1]) * 32)
    with pytest.raises(LogStateError) as bad_leaf:
        tx(sessions, lambda s: audit_db.inclusion_for_journal(s, world.journals[2]))  # the void is entry 14
    assert bad_leaf.value.code == "log_tampered"
