"""RFC 6962 Merkle Tree Hash and the RFC 9162 proof verification algorithms.

Hashes (RFC 6962 §2.1): the empty tree is ``SHA-256()``; a leaf is ``SHA-256(0x00 ‖ entry)``; an
interior node is ``SHA-256(0x01 ‖ left ‖ right)``. A tree of ``n`` leaves splits at ``k``, the largest
power of two smaller than ``n``.

Verification follows RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) step by step, after an
explicit check of every input: types, hash lengths, ranges and the exact proof length (computed as in
transparency-dev/merkle ``proof/verify.go``). It distrusts its input: anything wrong raises
:class:`~ledger.audit.errors.ProofError`, never another exception, and never accepts a falsified
proof. ``is_valid_*`` wrap the same checks as booleans.

Node addressing: :class:`NodeKey` ``(level, index)`` names the perfect subtree over leaves
``[index·2^level, (index+1)·2^level)``; level 0 is the leaves. Every complete perfect subtree has one
key, so a store can keep each hash exactly once (see :mod:`ledger.audit.tree`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger.audit.errors import ProofError

HASH_SIZE = 32
MAX_SIZE = 2**64 - 1  # tree sizes and indices are uint64 (RFC 9162 §2.1, c2sp.org/tlog-checkpoint)
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


def leaf_hash(entry: bytes) -> bytes:
    """``MTH({d}) = SHA-256(0x00 ‖ d)`` (RFC 6962 §2.1)."""
    return _sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 ‖ left ‖ right)`` (RFC 6962 §2.1)."""
    return _sha256(NODE_PREFIX + left + right).digest()


@dataclass(frozen=True, order=True, slots=True)
class NodeKey:
    """The perfect subtree at ``level`` (0 = leaf) covering leaves ``[index·2^level, (index+1)·2^level)``."""

    level: int
    index: int

    @property
    def begin(self) -> int:
        return self.index << self.level

    @property
    def end(self) -> int:
        return (self.index + 1) << self.level


def split_point(n: int) -> int:
    """``k``: the largest power of two strictly smaller than ``n`` (``n >= 2``; RFC 6962 §2.1)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_keys(begin: int, end: int) -> tuple[NodeKey, ...]:
    """The maximal perfect subtrees covering leaves ``[begin, end)``, left to right (a compact range).

    For a range that is a subtree of the RFC 6962 tree (``[0, n)`` and every range met while
    building proofs), its Merkle Tree Hash is :func:`fold_right` of these nodes' hashes.
    """
    keys: list[NodeKey] = []
    while begin < end:
        level = (begin & -begin).bit_length() - 1 if begin else (end - begin).bit_length() - 1
        while begin + (1 << level) > end:
            level -= 1
        keys.append(NodeKey(level, begin >> level))
        begin += 1 << level
    return tuple(keys)


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """Combine a compact range's hashes, right to left: ``H(h0, H(h1, ... H(hn-2, hn-1)))``."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


# --------------------------------------------------------------------------------------------
# Input checks: everything a caller hands to a verifier is suspect.


def check_number(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SIZE:
        raise ProofError("bad_number", what=what, got=_show(value))
    return value


def check_hash(value: Any, what: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ProofError("bad_hash", what=what, got=_show(value))
    return value


def _check_proof(proof: Any, want: int) -> list[bytes]:
    if isinstance(proof, (bytes, str)) or not isinstance(proof, Sequence):
        raise ProofError("bad_proof_type", got=type(proof).__name__)
    if len(proof) != want:
        raise ProofError("wrong_proof_length", got=len(proof), want=want)
    return [check_hash(p, f"proof[{i}]") for i, p in enumerate(proof)]


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return f"{len(value)} bytes"
    text = repr(value)
    return text if len(text) <= 40 else f"{type(value).__name__} ({len(text)} characters)"


# --------------------------------------------------------------------------------------------
# Expected proof lengths (transparency-dev/merkle proof/verify.go decompInclProof).


def inclusion_proof_length(index: int, size: int) -> int:
    """Hashes in the audit path of leaf ``index`` in a tree of ``size`` leaves (``index < size``)."""
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def consistency_proof_length(size1: int, size2: int) -> int:
    """Hashes in the consistency proof from ``size1`` to ``size2`` (``0 < size1 <= size2``)."""
    if size1 == size2:
        return 0
    shift = (size1 & -size1).bit_length() - 1
    inner = (((size1 - 1) ^ (size2 - 1)).bit_length()) - shift
    border = ((size1 - 1) >> (inner + shift)).bit_count()
    return (0 if size1 == 1 << shift else 1) + inner + border


# --------------------------------------------------------------------------------------------
# RFC 9162 §2.1.3.2: verifying an inclusion proof.


def root_from_inclusion_proof(*, leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for ``leaf_hash`` at ``index`` in a tree of ``size`` leaves."""
    check_hash(leaf_hash, "leaf hash")
    check_number(index, "leaf index")
    check_number(size, "tree size")
    if index >= size:
        raise ProofError("index_out_of_range", index=index, size=size)
    path = _check_proof(proof, inclusion_proof_length(index, size))
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:  # step 4a: the path is longer than the tree is high
            raise ProofError("wrong_proof_length", got=len(path), want=inclusion_proof_length(index, size))
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:  # step 5
        raise ProofError("wrong_proof_length", got=len(path), want=inclusion_proof_length(index, size))
    return r


def verify_inclusion(*, leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with ``root``.

    Raises :class:`ProofError` (code names the reason) unless the proof is exactly right.
    """
    check_hash(root, "root hash")
    computed = root_from_inclusion_proof(leaf_hash=leaf_hash, index=index, size=size, proof=proof)
    if computed != root:
        raise ProofError("root_mismatch")


def is_valid_inclusion(*, leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    try:
        verify_inclusion(leaf_hash=leaf_hash, index=index, size=size, proof=proof, root=root)
    except ProofError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# RFC 9162 §2.1.4.2: verifying a consistency proof.


def verify_consistency(*, size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> None:
    """Check that the tree of ``size1`` leaves with ``root1`` is a prefix of the one of ``size2`` with ``root2``.

    Edge cases (RFC 9162 §2.1.4 defines only ``0 < size1 < size2``): ``size1 > size2`` is refused;
    ``size1 == size2`` needs an empty proof and equal roots; ``size1 == 0`` needs an empty proof and
    ``root1`` equal to the empty tree's hash (the empty tree is a prefix of every tree).
    """
    check_number(size1, "first tree size")
    check_number(size2, "second tree size")
    check_hash(root1, "first root hash")
    check_hash(root2, "second root hash")
    if size1 > size2:
        raise ProofError("sizes_reversed", size1=size1, size2=size2)
    path = _check_proof(proof, 0 if size1 == 0 else consistency_proof_length(size1, size2))
    if size1 == 0 and root1 != EMPTY_ROOT:
        raise ProofError("empty_tree_root")
    if size1 == size2 and root1 != root2:
        raise ProofError("equal_sizes_roots_differ", size=size1)
    if size1 in (0, size2):
        return
    fr, sr = _consistency_roots(size1, size2, root1, path)
    if fr != root1:
        raise ProofError("first_root_mismatch")
    if sr != root2:
        raise ProofError("second_root_mismatch")


def _consistency_roots(size1: int, size2: int, root1: bytes, path: list[bytes]) -> tuple[bytes, bytes]:
    got, want = len(path), consistency_proof_length(size1, size2)
    if size1 & (size1 - 1) == 0:  # step 2: first is an exact power of two
        path = [root1, *path]
    fn, sn = size1 - 1, size2 - 1  # step 3
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:
            raise ProofError("wrong_proof_length", got=got, want=want)
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:  # step 7
        raise ProofError("wrong_proof_length", got=got, want=want)
    return fr, sr


def is_valid_consistency(*, size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> bool:
    try:
        verify_consistency(size1=size1, size2=size2, root1=root1, root2=root2, proof=proof)
    except ProofError:
        return False
    return True
