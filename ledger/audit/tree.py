"""Building the log's tree incrementally and generating proofs from stored subtree hashes.

Storage layout (what the sealer persists; DESIGN §5): every *complete* perfect subtree hash is stored
exactly once, keyed by :class:`~ledger.audit.merkle.NodeKey` ``(level, index)``. Appending leaf ``i``
completes node ``(0, i)`` and, for every level ``l`` at which ``i + 1`` is a multiple of ``2^l``, node
``(l, (i + 1) / 2^l - 1)``: on average two nodes per leaf, never rewritten. Nothing else is stored;
any root or proof for any size up to the log's size is a fold of at most ``2·log2(n)`` stored nodes.

* :class:`CompactRange`: the streaming builder. It keeps only the hashes of the perfect subtrees
  covering ``[0, n)`` (one per set bit of ``n``: O(log n) memory) and gives the root at any size.
  ``append`` is the verifier's fast path; ``append_nodes`` also returns the nodes to persist.
* :class:`HashStore`: the Protocol a proof source satisfies (``size``, ``leaf_hash``, batched
  ``node_hashes``). :class:`MemoryHashStore` is the in-memory one; the ledger's SQL seal tables are
  another. Proof generation first *plans* which nodes it needs (pure), fetches them in one call, then
  folds them, so a database store answers a proof with one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ledger.audit.errors import ProofError
from ledger.audit.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    NodeKey,
    check_hash,
    check_number,
    fold_right,
    node_hash,
    range_keys,
    split_point,
)

# A plan lists, for each hash of a proof in order, the stored nodes whose fold is that hash.
Plan = tuple[tuple[NodeKey, ...], ...]


@dataclass(frozen=True, slots=True)
class Node:
    """A complete subtree hash, to be stored once under its key."""

    key: NodeKey
    hash: bytes


class HashStore(Protocol):
    """Where proofs come from: the log's size and its stored complete-subtree hashes."""

    @property
    def size(self) -> int:
        """Number of leaves in the log."""
        ...

    def leaf_hash(self, index: int) -> bytes:
        """The hash of leaf ``index`` (``NodeKey(0, index)``)."""
        ...

    def node_hashes(self, keys: Sequence[NodeKey]) -> Sequence[bytes]:
        """The stored hashes of these complete nodes, in the same order."""
        ...


# --------------------------------------------------------------------------------------------
# Plans: which stored nodes each proof hash folds (RFC 6962 §2.1.1 PATH, §2.1.2 SUBPROOF).


def root_plan(size: int) -> tuple[NodeKey, ...]:
    """The nodes whose right fold is ``MTH(D[0:size])``."""
    return range_keys(0, check_number(size, "tree size"))


def inclusion_plan(index: int, size: int) -> Plan:
    """RFC 6962 ``PATH(index, D[0:size])`` as ranges of stored nodes, leaf level first."""
    check_number(index, "leaf index")
    check_number(size, "tree size")
    if index >= size:
        raise ProofError("index_out_of_range", index=index, size=size)
    outer_first: list[tuple[NodeKey, ...]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + split_point(hi - lo)
        if index < mid:
            outer_first.append(range_keys(mid, hi))
            hi = mid
        else:
            outer_first.append(range_keys(lo, mid))
            lo = mid
    return tuple(reversed(outer_first))


def consistency_plan(size1: int, size2: int) -> Plan:
    """RFC 6962 ``PROOF(size1, D[0:size2])`` as ranges of stored nodes; empty if ``size1`` is 0 or ``size2``."""
    check_number(size1, "first tree size")
    check_number(size2, "second tree size")
    if size1 > size2:
        raise ProofError("sizes_reversed", size1=size1, size2=size2)
    if size1 in (0, size2):
        return ()
    outer_first: list[tuple[NodeKey, ...]] = []
    lo, hi, m, whole = 0, size2, size1, True
    while True:
        if hi - lo == m:  # SUBPROOF(m, D[m], b): {} if b, else {MTH(D[m])}
            if not whole:
                outer_first.append(range_keys(lo, hi))
            break
        mid = lo + split_point(hi - lo)
        if m <= mid - lo:
            outer_first.append(range_keys(mid, hi))
            hi = mid
        else:
            outer_first.append(range_keys(lo, mid))
            m -= mid - lo
            lo, whole = mid, False
    return tuple(reversed(outer_first))


# --------------------------------------------------------------------------------------------
# Resolving plans against a store.


def _fetch(store: HashStore, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    got = list(store.node_hashes(wanted))
    valid = sum(1 for h in got if isinstance(h, bytes) and len(h) == HASH_SIZE)
    if len(got) != len(wanted) or valid != len(wanted):
        raise ProofError("store_wrong_answer", asked=len(wanted), got=valid)
    return dict(zip(wanted, got))


def _within(store: HashStore, size: int | None) -> int:
    log_size = store.size
    if size is None:
        return log_size
    check_number(size, "tree size")
    if size > log_size:
        raise ProofError("size_beyond_log", size=size, log_size=log_size)
    return size


def resolve(store: HashStore, plan: Plan) -> list[bytes]:
    """Fetch every node of ``plan`` in one store call and fold each range into its proof hash."""
    nodes = _fetch(store, (k for keys in plan for k in keys))
    return [fold_right([nodes[k] for k in keys]) for keys in plan]


def tree_root(store: HashStore, size: int | None = None) -> bytes:
    """The root of the log at ``size`` (default: all of it); the empty tree's hash for size 0."""
    size = _within(store, size)
    keys = root_plan(size)
    nodes = _fetch(store, keys)
    return fold_right([nodes[k] for k in keys]) if keys else EMPTY_ROOT


def inclusion_proof(store: HashStore, index: int, size: int | None = None) -> list[bytes]:
    """The audit path of leaf ``index`` in the log at ``size`` (default: all of it)."""
    return resolve(store, inclusion_plan(index, _within(store, size)))


def consistency_proof(store: HashStore, size1: int, size2: int | None = None) -> list[bytes]:
    """The consistency proof from the log at ``size1`` to the log at ``size2`` (default: all of it)."""
    return resolve(store, consistency_plan(size1, _within(store, size2)))


# --------------------------------------------------------------------------------------------
# The streaming builder.


class CompactRange:
    """Hashes of the perfect subtrees covering leaves ``[0, size)``: O(log n) memory, root at any time."""

    __slots__ = ("_size", "_hashes")

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []

    @classmethod
    def resume(cls, size: int, hashes: Sequence[bytes]) -> CompactRange:
        """Continue a log of ``size`` leaves from the hashes of ``root_plan(size)``'s nodes."""
        keys = root_plan(size)
        if len(hashes) != len(keys):
            raise ProofError("wrong_proof_length", got=len(hashes), want=len(keys))
        cr = cls()
        cr._size = size
        cr._hashes = [check_hash(h, f"subtree hash {i}") for i, h in enumerate(hashes)]
        return cr

    @classmethod
    def from_store(cls, store: HashStore, size: int | None = None) -> CompactRange:
        """The compact range of ``store`` at ``size`` (default: all of it), e.g. for the sealer after restart."""
        size = _within(store, size)
        keys = root_plan(size)
        nodes = _fetch(store, keys)
        return cls.resume(size, [nodes[k] for k in keys])

    @property
    def size(self) -> int:
        return self._size

    def keys(self) -> tuple[NodeKey, ...]:
        return root_plan(self._size)

    def hashes(self) -> tuple[bytes, ...]:
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> None:
        """Add the next leaf's hash (the caller vouches that it is 32 bytes; see ``append_nodes``)."""
        hashes, h, n = self._hashes, leaf_hash, self._size
        while n & 1:
            h = node_hash(hashes.pop(), h)
            n >>= 1
        hashes.append(h)
        self._size += 1

    def append_nodes(self, leaf_hash: bytes) -> list[Node]:
        """Add the next leaf's hash and return the nodes it completes, leaf first, for storage."""
        check_hash(leaf_hash, "leaf hash")
        index = self._size
        completed = [Node(NodeKey(0, index), leaf_hash)]
        hashes, h, n, level = self._hashes, leaf_hash, index, 0
        while n & 1:
            h = node_hash(hashes.pop(), h)
            n >>= 1
            level += 1
            completed.append(Node(NodeKey(level, ((index + 1) >> level) - 1), h))
        hashes.append(h)
        self._size += 1
        return completed

    def root(self) -> bytes:
        """``MTH(D[0:size])``; the empty tree's hash when no leaf was added."""
        return fold_right(self._hashes)


class MemoryHashStore:
    """A :class:`HashStore` in a dict, fed leaf by leaf: the in-memory twin of the SQL seal tables."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._nodes: dict[NodeKey, bytes] = {}
        self._range = CompactRange()
        for h in leaf_hashes:
            self.append(h)

    @property
    def size(self) -> int:
        return self._range.size

    def append(self, leaf_hash: bytes) -> list[Node]:
        nodes = self._range.append_nodes(leaf_hash)
        for node in nodes:
            self._nodes[node.key] = node.hash
        return nodes

    def leaf_hash(self, index: int) -> bytes:
        return self.node_hashes([NodeKey(0, index)])[0]

    def node_hashes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        try:
            return [self._nodes[k] for k in keys]
        except KeyError as exc:
            key: NodeKey = exc.args[0]
            raise ProofError("store_node_missing", level=key.level, index=key.index) from None

    def root(self) -> bytes:
        return self._range.root()
