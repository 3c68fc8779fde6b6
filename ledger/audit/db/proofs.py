"""Inclusion and consistency proofs from the sealed log, always against a stored signed checkpoint.

A journal's proof is for the entry of its final state change (``journal.posted``, ``journal.voided``,
``journal.expired``, or ``journal.submitted`` when it was posted at once); for a journal still
pending, its submission. A receipt carries that entry's leaf hash: :func:`leaf_hash_of_journal`
gives it right after the journal posts, before sealing (it is ``SHA-256(0x00 ‖ body)`` and never
changes). Every proof is verified against its checkpoint before it is handed out: a store that
answers a wrong proof raises ``log_tampered`` rather than serve it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger.audit.checkpoint import Checkpoint, parse_checkpoint, verify_consistency_between, verify_inclusion_at
from ledger.audit.db.store import CheckpointRow, SqlHashStore, checkpoint_or_latest, sealed_by_entry, sealed_by_leaf
from ledger.audit.errors import AuditError, CheckpointError, LogStateError, ProofError
from ledger.audit.merkle import HASH_SIZE, leaf_hash
from ledger.audit.tree import consistency_proof, inclusion_proof
from ledger.schema import entries

FINAL_KINDS = ("journal.posted", "journal.voided", "journal.expired")


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """Leaf ``index`` (hash ``leaf_hash``, entry ``entry_id``) is in the log of ``checkpoint``."""

    entry_id: uuid.UUID
    journal_id: uuid.UUID | None
    index: int
    leaf_hash: bytes
    checkpoint: CheckpointRow
    proof: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """The log of ``new`` extends the log of ``old``."""

    old: CheckpointRow
    new: CheckpointRow
    proof: tuple[bytes, ...]


def _journal_entry(session: Session, journal_id: uuid.UUID) -> tuple[uuid.UUID, bytes] | None:
    rows = session.connection().execute(
        sa.select(entries.c.id, entries.c.kind, entries.c.body).where(entries.c.journal_id == journal_id)
    ).all()
    final = [r for r in rows if r.kind in FINAL_KINDS]
    chosen = final or [r for r in rows if r.kind == "journal.submitted"]
    if not chosen:
        return None
    return chosen[0].id, bytes(chosen[0].body)


def leaf_hash_of_journal(session: Session, journal_id: uuid.UUID) -> bytes | None:
    """The leaf hash of the journal's final state change (sealed or not yet); None for an unknown journal."""
    found = _journal_entry(session, journal_id)
    return None if found is None else leaf_hash(found[1])


def _parsed(row: CheckpointRow) -> Checkpoint:
    checkpoint = parse_checkpoint(row.note[: row.note.rfind("\n\n") + 1])
    if checkpoint.size != row.size or checkpoint.root_hash != row.root_hash:
        raise LogStateError("log_tampered", detail=f"checkpoint row {row.size} differs from its note")
    return checkpoint


def _include(session: Session, entry_id: uuid.UUID, journal_id: uuid.UUID | None, checkpoint_size: int | None) -> InclusionProof:
    conn = session.connection()
    sealed = sealed_by_entry(conn, entry_id)
    if sealed is None:
        raise LogStateError("entry_not_sealed", entry=str(entry_id))
    row = checkpoint_or_latest(conn, checkpoint_size)
    if sealed.seq >= row.size:
        raise LogStateError("entry_not_in_checkpoint", seq=sealed.seq, size=row.size)
    try:
        proof = tuple(inclusion_proof(SqlHashStore(conn, row.size), sealed.seq, row.size))
        verify_inclusion_at(_parsed(row), leaf_hash=sealed.leaf_hash, index=sealed.seq, proof=proof)
    except (ProofError, CheckpointError) as exc:
        raise LogStateError("log_tampered", detail=f"inclusion of {sealed.seq}: {exc.message_en}") from None
    return InclusionProof(entry_id, journal_id, sealed.seq, sealed.leaf_hash, row, proof)


def inclusion_for_journal(session: Session, journal_id: uuid.UUID, *, checkpoint_size: int | None = None) -> InclusionProof:
    """The inclusion proof of a journal's final state change (see the module docs)."""
    found = _journal_entry(session, journal_id)
    if found is None:
        raise LogStateError("journal_not_logged", journal=str(journal_id))
    return _include(session, found[0], journal_id, checkpoint_size)


def inclusion_for_leaf(session: Session, leaf: bytes, *, checkpoint_size: int | None = None) -> InclusionProof:
    """The inclusion proof of the sealed entry with this leaf hash (a receipt's "entry hash")."""
    if not isinstance(leaf, bytes) or len(leaf) != HASH_SIZE:
        raise ProofError("bad_hash", what="leaf hash", got=f"{len(leaf) if isinstance(leaf, bytes) else type(leaf).__name__}")
    conn = session.connection()
    sealed = sealed_by_leaf(conn, leaf)
    if sealed is None:
        raise LogStateError("leaf_not_found", leaf_hash=leaf.hex())
    journal_id = conn.execute(sa.select(entries.c.journal_id).where(entries.c.id == sealed.entry_id)).scalar()
    return _include(session, sealed.entry_id, journal_id, checkpoint_size)


def consistency_between(session: Session, old_size: int, new_size: int | None = None) -> ConsistencyProof:
    """The consistency proof from the checkpoint of ``old_size`` to that of ``new_size`` (default: latest)."""
    conn = session.connection()
    old = checkpoint_or_latest(conn, old_size)
    new = checkpoint_or_latest(conn, new_size)
    if old.size > new.size:
        raise ProofError("sizes_reversed", size1=old.size, size2=new.size)
    try:
        proof = tuple(consistency_proof(SqlHashStore(conn, new.size), old.size, new.size))
        verify_consistency_between(_parsed(old), _parsed(new), proof)
    except LogStateError:
        raise
    except AuditError as exc:
        raise LogStateError("log_tampered", detail=f"consistency {old.size}->{new.size}: {exc.message_en}") from None
    return ConsistencyProof(old, new, proof)


def checkpoint_json(row: CheckpointRow) -> dict[str, object]:
    return {"size": row.size, "root": row.root_hash.hex(), "note": row.note, "created_at": row.created_at.isoformat()}


def inclusion_json(p: InclusionProof) -> dict[str, object]:
    """The JSON shape of an inclusion proof (API and ``kiosk audit prove inclusion``); hashes in hex."""
    return {"journal_id": str(p.journal_id) if p.journal_id else None, "entry_id": str(p.entry_id), "index": p.index,
            "leaf_hash": p.leaf_hash.hex(), "checkpoint": checkpoint_json(p.checkpoint), "proof": [h.hex() for h in p.proof]}


def consistency_json(p: ConsistencyProof) -> dict[str, object]:
    """The JSON shape of a consistency proof (API and ``kiosk audit prove consistency``); hashes in hex."""
    return {"old": checkpoint_json(p.old), "new": checkpoint_json(p.new), "proof": [h.hex() for h in p.proof]}
