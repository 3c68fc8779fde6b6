"""A small signing log for tests: entries, a MemoryHashStore, and signed checkpoints at any size."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.audit.checkpoint import Checkpoint, sign_checkpoint
from ledger.audit.merkle import leaf_hash
from ledger.audit.note import NoteSigner
from ledger.audit.tree import MemoryHashStore, consistency_proof, tree_root

ORIGIN = "sutasoma.example/ledger"


class SigningLog:
    """An append-only log that signs checkpoints, as the sealer will; ``rewrite`` forks its history."""

    def __init__(self, signer: NoteSigner | None = None, entries: list[bytes] | None = None) -> None:
        self.signer = signer or NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
        self.entries: list[bytes] = []
        self.store = MemoryHashStore()
        for e in entries or []:
            self.append(e)

    def append(self, entry: bytes) -> None:
        self.entries.append(entry)
        self.store.append(leaf_hash(entry))

    def grow(self, n: int) -> None:
        for _ in range(n):
            self.append(f"entry {len(self.entries)}".encode())

    def checkpoint(self, size: int | None = None) -> Checkpoint:
        size = self.store.size if size is None else size
        return Checkpoint(self.signer.name, size, tree_root(self.store, size))

    def note(self, size: int | None = None) -> str:
        return sign_checkpoint(self.checkpoint(size), self.signer).note

    def proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        return consistency_proof(self.store, size1, size2)

    def rewrite(self, at: int, entry: bytes = b"rewritten") -> SigningLog:
        """The same key holder's log with entry ``at`` replaced: a fork of history, validly signed."""
        entries = list(self.entries)
        entries[at] = entry
        return SigningLog(self.signer, entries)
