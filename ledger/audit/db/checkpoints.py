"""Signed checkpoints of the sealed log (c2sp.org/tlog-checkpoint), kept forever in ``ledger_checkpoints``.

Before signing, the writer checks that the stored tree still reproduces the last checkpoint's root
and extends it (a consistency proof from the store that verifies): a log must never sign two
checkpoints that are not consistent, so a tree altered in the database is refused (``log_tampered``)
instead of being signed over.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ledger.audit.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint, verify_consistency_between
from ledger.audit.db.store import CheckpointRow, SqlHashStore, latest_checkpoint, lock_log, sealed_size
from ledger.audit.errors import AuditError, LogStateError
from ledger.audit.note import NoteSigner, NoteVerifier
from ledger.audit.tree import consistency_proof, tree_root
from ledger.schema import checkpoints

log = logging.getLogger("ledger.audit")


@dataclass(frozen=True, slots=True)
class CheckpointResult:
    """The checkpoint now latest; ``new`` is False when the log had not grown since the last one."""

    row: CheckpointRow
    new: bool


def write_checkpoint(session: Session, signer: NoteSigner, *, now: datetime,
                     earlier: Sequence[NoteVerifier] = ()) -> CheckpointResult:
    """Sign the sealed log's current size and root (the caller commits). ``earlier``: the keys this
    signer replaced (``ledger.audit.log_verifiers``), one of which may have signed the last checkpoint."""
    conn = session.connection()
    lock_log(conn)
    size = sealed_size(conn)
    last = latest_checkpoint(conn)
    if last is not None and last.size == size:
        return CheckpointResult(last, new=False)
    store = SqlHashStore(conn, size)
    root = tree_root(store, size)
    checkpoint = Checkpoint(signer.name, size, root)
    if last is not None:
        _check_extends(store, last, checkpoint, [signer.verifier, *earlier])
    note = sign_checkpoint(checkpoint, signer).note
    row = CheckpointRow(size, root, note, now)
    conn.execute(checkpoints.insert(), {"size": size, "root_hash": root, "note": note, "created_at": now})
    log.info("event=audit_checkpoint size=%d", size)
    return CheckpointResult(row, new=True)


def _check_extends(store: SqlHashStore, last: CheckpointRow, new: Checkpoint, keys: Sequence[NoteVerifier]) -> None:
    try:
        previous = open_checkpoint(last.note, keys).checkpoint
        if previous.size != last.size or previous.root_hash != last.root_hash:
            raise LogStateError("log_tampered", detail=f"checkpoint row {last.size} differs from its note")
        verify_consistency_between(previous, new, consistency_proof(store, last.size, new.size))
    except LogStateError:
        raise
    except AuditError as exc:
        raise LogStateError("log_tampered", detail=f"checkpoint {last.size}: {exc.message_en}") from None


def checkpoint_due(session: Session, *, now: datetime, every_entries: int, every_s: float) -> bool:
    """True when ``every_entries`` entries were sealed since the last checkpoint, or any were and
    ``every_s`` seconds passed (or there is no checkpoint yet)."""
    conn = session.connection()
    last = latest_checkpoint(conn)
    size = sealed_size(conn)
    if last is None:
        return True
    grown = size - last.size
    return grown >= max(1, every_entries) or (grown > 0 and now - last.created_at >= timedelta(seconds=every_s))
