"""The offline verifier's core: replay a log's entries against its signed checkpoints.

:class:`LogVerifier` is fed the log from its first entry, one entry at a time (constant memory: a
:class:`~ledger.audit.tree.CompactRange`), after being given every checkpoint and the pinned key. It
checks, and names the first thing that is wrong:

* every checkpoint's signature under the pinned key and its origin; sizes never decrease, and two
  checkpoints of one size have one root (else the log forked);
* entries come in sequence order (``seq`` given: a missing, repeated or reordered line is named);
* an entry's recomputed leaf hash equals the sealed one (``leaf_hash`` given: names the altered entry);
* the tree root at every checkpoint's size equals that checkpoint's root (names the range of entries
  between the last good checkpoint and this one); since every checkpoint root is recomputed from the
  same entries, successive checkpoints are consistent by construction;
* the log is neither shorter than its checkpoints (truncated) nor longer than the last one.

What an entry *means* (journal balance, account balances) is the caller's check, done on the same
pass; this core knows entries only as canonical bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from ledger.audit.checkpoint import Checkpoint, open_checkpoint
from ledger.audit.errors import AuditError, LogVerificationError, ProofError
from ledger.audit.merkle import LEAF_PREFIX
from ledger.audit.note import Verifiers
from ledger.audit.tree import CompactRange


@dataclass(frozen=True)
class VerifiedLog:
    """What a completed verification vouches for."""

    size: int
    root_hash: bytes
    checkpoints: tuple[Checkpoint, ...]


class LogVerifier:
    """Streams a log's entries and checks them against its signed checkpoints (see module docs)."""

    def __init__(
        self, verifier: Verifiers, checkpoint_notes: Iterable[bytes | str], origin: str | None = None
    ) -> None:
        self._checkpoints = _open_all(verifier, checkpoint_notes, origin)
        self._range = CompactRange()
        self._next = 0  # index into _checkpoints of the next one to reach
        self._good = 0  # size of the last checkpoint whose root matched
        self._skip_reached()

    @property
    def size(self) -> int:
        return self._range.size

    def add(self, entry: bytes, *, seq: int | None = None, leaf_hash: bytes | None = None) -> bytes:
        """Take the next entry (``seq``: its sealed sequence number; ``leaf_hash``: its sealed leaf hash).

        Returns the entry's recomputed leaf hash.
        """
        size = self._range.size
        if seq is not None and seq != size:
            raise LogVerificationError("entry_out_of_order", got=seq, want=size)
        if not isinstance(entry, bytes):
            raise LogVerificationError("entry_not_bytes", seq=size)
        computed = hashlib.sha256(LEAF_PREFIX + entry).digest()
        if leaf_hash is not None and computed != leaf_hash:
            raise LogVerificationError("leaf_hash_mismatch", seq=size)
        self._range.append(computed)
        if self._next < len(self._checkpoints) and self._checkpoints[self._next].size == size + 1:
            self._skip_reached()
        return computed

    def finish(self) -> VerifiedLog:
        """Check that the log ends exactly at its last checkpoint and return what was verified."""
        size = self._range.size
        if self._next < len(self._checkpoints):
            raise LogVerificationError("log_truncated", got=size, want=self._checkpoints[self._next].size)
        last = self._checkpoints[-1].size
        if size > last:
            raise LogVerificationError("log_extra_entries", got=size, want=last)
        return VerifiedLog(size, self._range.root(), self._checkpoints)

    def _skip_reached(self) -> None:
        """Compare the root with every checkpoint of the current size, then move past them."""
        size = self._range.size
        while self._next < len(self._checkpoints) and self._checkpoints[self._next].size == size:
            checkpoint = self._checkpoints[self._next]
            if self._range.root() != checkpoint.root_hash:
                if size == 0:
                    why = ProofError("empty_tree_root").text
                    raise LogVerificationError("bad_checkpoint", position=self._next + 1, detail=why)
                raise LogVerificationError("checkpoint_root_mismatch", size=size, first=self._good, last=size - 1)
            self._good = size
            self._next += 1


def _open_all(
    verifier: Verifiers, notes: Iterable[bytes | str], origin: str | None
) -> tuple[Checkpoint, ...]:
    checkpoints: list[Checkpoint] = []
    for position, note in enumerate(notes, start=1):
        try:
            checkpoint = open_checkpoint(note, verifier, origin).checkpoint
        except AuditError as exc:
            raise LogVerificationError("bad_checkpoint", position=position, detail=exc.text) from None
        previous = checkpoints[-1] if checkpoints else None
        if previous is not None and checkpoint.size < previous.size:
            raise LogVerificationError("checkpoints_out_of_order", size=checkpoint.size, previous=previous.size)
        if previous is not None and checkpoint.size == previous.size and checkpoint.root_hash != previous.root_hash:
            raise LogVerificationError("checkpoint_fork", size=checkpoint.size)
        checkpoints.append(checkpoint)
    if not checkpoints:
        raise LogVerificationError("no_checkpoint")
    return tuple(checkpoints)
