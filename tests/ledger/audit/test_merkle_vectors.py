"""RFC 6962 reference vectors (see vectors.py for the sources), and the corrupted-proof probes of
transparency-dev/merkle ``proof/verify_test.go`` (``corruptInclusionProof``, ``corruptConsistencyProof``,
``TestVerifyInclusion``, ``TestVerifyConsistency``), each of which must be refused."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.audit.errors import ProofError
from ledger.audit.merkle import (
    EMPTY_ROOT,
    is_valid_consistency,
    is_valid_inclusion,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from ledger.audit.tree import MemoryHashStore, consistency_proof, inclusion_proof, tree_root
from tests.ledger.audit import vectors as v

MAX64 = 2**64 - 1


@pytest.fixture(scope="module")
def store() -> MemoryHashStore:
    return MemoryHashStore(leaf_hash(e) for e in v.LEAVES)


def test_hasher_matches_rfc6962_test_vectors() -> None:
    assert EMPTY_ROOT == v.EMPTY_TREE_HASH
    assert leaf_hash(b"") == v.EMPTY_LEAF_HASH
    assert leaf_hash(b"L123456") == v.LEAF_L123456_HASH
    assert node_hash(b"N123", b"N456") == v.NODE_N123_N456_HASH
    assert leaf_hash(b"") != EMPTY_ROOT  # the empty leaf is not the empty tree


def test_roots_of_every_prefix_match(store: MemoryHashStore) -> None:
    assert tree_root(store, 0) == v.EMPTY_TREE_HASH
    for size, root in enumerate(v.ROOTS, start=1):
        assert tree_root(store, size) == root


@pytest.mark.parametrize(("leaf", "size", "proof"), v.INCLUSION_PROOFS)
def test_generated_inclusion_proofs_match(store: MemoryHashStore, leaf: int, size: int, proof: list[bytes]) -> None:
    assert inclusion_proof(store, leaf - 1, size) == proof


@pytest.mark.parametrize(("size1", "size2", "proof"), v.CONSISTENCY_PROOFS)
def test_generated_consistency_proofs_match(store: MemoryHashStore, size1: int, size2: int, proof: list[bytes]) -> None:
    assert consistency_proof(store, size1, size2) == proof


def _inclusion_probes(index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes) -> list[tuple[Any, ...]]:
    """transparency-dev/merkle corruptInclusionProof: every probe must fail."""
    probes = [
        (index - 1, size, root, leaf, proof, "leafIndex - 1"),
        (index + 1, size, root, leaf, proof, "leafIndex + 1"),
        (index ^ 2, size, root, leaf, proof, "leafIndex ^ 2"),
        (index, size * 2, root, leaf, proof, "treeSize * 2"),
        (index, size // 2, root, leaf, proof, "treeSize / 2"),
        (index, size, root, b"WrongLeaf", proof, "wrong leaf"),
        (index, size, v.EMPTY_TREE_HASH, leaf, proof, "empty root"),
        (index, size, v.SHA256_SOME_HASH, leaf, proof, "random root"),
        (index, size, root, leaf, [*proof, b""], "trailing garbage"),
        (index, size, root, leaf, [*proof, root], "trailing root"),
        (index, size, root, leaf, [b"", *proof], "preceding garbage"),
        (index, size, root, leaf, [root, *proof], "preceding root"),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 8]) + wrong[i][1:]
        probes.append((index, size, root, leaf, wrong, f"modified proof[{i}] bit 3"))
    if proof:
        probes.append((index, size, root, leaf, proof[:-1], "removed component"))
    if len(proof) > 1:
        probes.append((index, size, root, leaf, [proof[0], v.SHA256_SOME_HASH, *proof[1:]], "inserted component"))
    return probes


@pytest.mark.parametrize(("leaf", "size", "proof"), v.INCLUSION_PROOFS[1:])
def test_reference_inclusion_proofs_verify_and_every_corruption_fails(leaf: int, size: int, proof: list[bytes]) -> None:
    index, root, lh = leaf - 1, v.ROOTS[size - 1], leaf_hash(v.LEAVES[leaf - 1])
    assert root_from_inclusion_proof(leaf_hash=lh, index=index, size=size, proof=proof) == root
    verify_inclusion(leaf_hash=lh, index=index, size=size, proof=proof, root=root)
    accepted = [
        desc
        for (i, n, r, h, p, desc) in _inclusion_probes(index, size, proof, root, lh)
        if is_valid_inclusion(leaf_hash=h, index=i, size=n, proof=p, root=r)
    ]
    assert accepted == []


def test_single_entry_inclusion() -> None:
    h = leaf_hash(b"data")  # TestVerifyInclusionSingleEntry: root and leaf hash of a 1-leaf tree agree
    verify_inclusion(leaf_hash=h, index=0, size=1, proof=[], root=h)
    for root, leaf in ((h, b""), (b"", h), (b"", b"")):
        assert not is_valid_inclusion(leaf_hash=leaf, index=0, size=1, proof=[], root=root)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_inclusion_probes_without_a_tree(index: int, size: int) -> None:
    # TestVerifyInclusion: an empty proof never proves a random leaf, an empty leaf or an empty root.
    for leaf, root in ((v.SHA256_SOME_HASH, b""), (b"", v.EMPTY_TREE_HASH), (v.SHA256_SOME_HASH, v.EMPTY_TREE_HASH)):
        assert not is_valid_inclusion(leaf_hash=leaf, index=index, size=size, proof=[], root=root)


def _consistency_probes(size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]) -> list[tuple[Any, ...]]:
    """transparency-dev/merkle corruptConsistencyProof: every probe must fail."""
    probes = [
        (size1 - 1, size2, root1, root2, proof, "size1 - 1"),
        (size1 + 1, size2, root1, root2, proof, "size1 + 1"),
        (size1 ^ 2, size2, root1, root2, proof, "size1 ^ 2"),
        (size1, size2 * 2, root1, root2, proof, "size2 * 2"),
        (size1, size2 // 2, root1, root2, proof, "size2 / 2"),
        (size1, size2, b"WrongRoot", root2, proof, "wrong root1"),
        (size1, size2, root1, b"WrongRoot", proof, "wrong root2"),
        (size1, size2, root2, root1, proof, "swapped roots"),
        (size1, size2, root1, root2, [], "empty proof"),
        (size1, size2, root1, root2, [*proof, b""], "trailing garbage"),
        (size1, size2, root1, root2, [*proof, root1], "trailing root1"),
        (size1, size2, root1, root2, [*proof, root2], "trailing root2"),
        (size1, size2, root1, root2, [b"", *proof], "preceding garbage"),
        (size1, size2, root1, root2, [root1, *proof], "preceding root1"),
        (size1, size2, root1, root2, [root2, *proof], "preceding root2"),
        (size1, size2, root1, root2, [proof[0], *proof], "preceding proof[0]"),
        (size1, size2, root1, root2, proof[:-1], "truncated proof"),
    ]
    for i in range(len(proof)):
        wrong = list(proof)
        wrong[i] = bytes([wrong[i][0] ^ 16]) + wrong[i][1:]
        probes.append((size1, size2, root1, root2, wrong, f"modified proof[{i}] bit 4"))
    return probes


@pytest.mark.parametrize(("size1", "size2", "proof"), v.CONSISTENCY_PROOFS)
def test_reference_consistency_proofs_verify_and_every_corruption_fails(size1: int, size2: int, proof: list[bytes]) -> None:
    root1, root2 = v.ROOTS[size1 - 1], v.ROOTS[size2 - 1]
    verify_consistency(size1=size1, size2=size2, root1=root1, root2=root2, proof=proof)
    if not proof:
        return  # as upstream: only non-trivial proofs are corrupted
    accepted = [
        desc
        for (m, n, r1, r2, p, desc) in _consistency_probes(size1, size2, root1, root2, proof)
        if is_valid_consistency(size1=m, size2=n, root1=r1, root2=r2, proof=p)
    ]
    assert accepted == []


DONT_CARE_1 = b"don't care 1".ljust(32, b".")
DONT_CARE_2 = b"don't care 2".ljust(32, b".")


@pytest.mark.parametrize(
    ("size1", "size2", "root1", "root2", "proof", "valid"),
    [
        # TestVerifyConsistency, with two deliberate differences, both stricter: roots must be 32-byte
        # hashes, and a tree of size 0 must have the empty tree's root.
        (0, 0, DONT_CARE_1, DONT_CARE_2, [], False),
        (1, 1, DONT_CARE_1, DONT_CARE_2, [], False),
        (0, 0, v.EMPTY_TREE_HASH, v.EMPTY_TREE_HASH, [], True),
        (0, 1, v.EMPTY_TREE_HASH, DONT_CARE_2, [], True),
        (0, 1, DONT_CARE_1, DONT_CARE_2, [], False),  # upstream accepts any root1 for size 0
        (1, 1, DONT_CARE_2, DONT_CARE_2, [], True),
        (1, 0, DONT_CARE_1, DONT_CARE_2, [], False),  # time travel to the past
        (2, 1, DONT_CARE_1, DONT_CARE_2, [], False),
        (1, 2, DONT_CARE_1, DONT_CARE_2, [], False),  # empty proof
        (0, 0, v.EMPTY_TREE_HASH, DONT_CARE_2, [], False),  # roots differ
        (1, 1, v.EMPTY_TREE_HASH, DONT_CARE_2, [], False),
        (0, 0, v.EMPTY_TREE_HASH, v.EMPTY_TREE_HASH, [v.EMPTY_TREE_HASH], False),  # roots match, proof not empty
        (0, 1, v.EMPTY_TREE_HASH, v.EMPTY_TREE_HASH, [v.EMPTY_TREE_HASH], False),
        (1, 1, v.EMPTY_TREE_HASH, v.EMPTY_TREE_HASH, [v.EMPTY_TREE_HASH], False),
        (MAX64, MAX64, DONT_CARE_1, DONT_CARE_1, [], True),
        (MAX64, MAX64 + 1, DONT_CARE_1, DONT_CARE_1, [], False),  # beyond uint64
    ],
)
def test_consistency_edge_cases(size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes], valid: bool) -> None:
    assert is_valid_consistency(size1=size1, size2=size2, root1=root1, root2=root2, proof=proof) is valid
    if not valid:
        with pytest.raises(ProofError):
            verify_consistency(size1=size1, size2=size2, root1=root1, root2=root2, proof=proof)
