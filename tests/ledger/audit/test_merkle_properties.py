"""Hypothesis: for random trees and indices every proof verifies and equals the RFC 6962 definition
(tests/ledger/audit/model.py), and any one-bit change to a proof, root, leaf, index or size fails."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.audit.checkpoint import Checkpoint, verify_inclusion_at
from ledger.audit.errors import ProofError
from ledger.audit.merkle import is_valid_consistency, is_valid_inclusion, leaf_hash, verify_consistency, verify_inclusion
from ledger.audit.tree import MemoryHashStore, consistency_proof, inclusion_proof, tree_root
from tests.ledger.audit import model

entries_st = st.lists(st.binary(max_size=6), min_size=1, max_size=130)


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@st.composite
def tree_and_index(draw: st.DrawFn) -> tuple[list[bytes], MemoryHashStore, int]:
    entries = draw(entries_st)
    return entries, MemoryHashStore(leaf_hash(e) for e in entries), draw(st.integers(0, len(entries) - 1))


@given(tree_and_index())
def test_inclusion_proofs_match_the_rfc_and_verify(case: tuple[list[bytes], MemoryHashStore, int]) -> None:
    entries, store, index = case
    root = tree_root(store)
    assert root == model.mth(entries)
    proof = inclusion_proof(store, index)
    assert proof == model.path(index, entries)
    verify_inclusion(leaf_hash=leaf_hash(entries[index]), index=index, size=len(entries), proof=proof, root=root)


@given(tree_and_index(), st.data())
def test_consistency_proofs_match_the_rfc_and_verify(case: tuple[list[bytes], MemoryHashStore, int], data: Any) -> None:
    entries, store, _ = case
    size2 = len(entries)
    size1 = data.draw(st.integers(0, size2))
    proof = consistency_proof(store, size1)
    if 0 < size1 < size2:
        assert proof == model.proof(size1, entries)
    else:
        assert proof == []
    verify_consistency(size1=size1, size2=size2, root1=model.mth(entries[:size1]), root2=model.mth(entries), proof=proof)


@settings(max_examples=60)
@given(tree_and_index(), st.data())
def test_any_bit_flip_in_an_inclusion_proof_root_or_leaf_fails(case: Any, data: Any) -> None:
    entries, store, index = case
    size, root, leaf = len(entries), tree_root(store), leaf_hash(entries[index])
    proof = inclusion_proof(store, index)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[at] = flip(bad[at], data.draw(st.integers(0, 255)))
        assert not is_valid_inclusion(leaf_hash=leaf, index=index, size=size, proof=bad, root=root)
    bad_root = flip(root, data.draw(st.integers(0, 255)))
    assert not is_valid_inclusion(leaf_hash=leaf, index=index, size=size, proof=proof, root=bad_root)
    bad_leaf = flip(leaf, data.draw(st.integers(0, 255)))
    assert not is_valid_inclusion(leaf_hash=bad_leaf, index=index, size=size, proof=proof, root=root)


@settings(max_examples=60)
@given(tree_and_index(), st.integers(0, 63))
def test_any_bit_flip_in_the_index_fails(case: Any, bit: int) -> None:
    """Fails unless the new claim is true: entries may repeat, and then so may leaves and proofs."""
    entries, store, index = case
    size, root, leaf = len(entries), tree_root(store), leaf_hash(entries[index])
    proof = inclusion_proof(store, index)
    other = index ^ (1 << bit)
    if is_valid_inclusion(leaf_hash=leaf, index=other, size=size, proof=proof, root=root):
        assert other < size and entries[other] == entries[index] and inclusion_proof(store, other) == proof


@settings(max_examples=60)
@given(st.lists(st.binary(max_size=4), min_size=1, max_size=260), st.data())
def test_any_bit_flip_in_the_size_fails_against_that_sizes_root(entries: list[bytes], data: Any) -> None:
    """A root commits to its size only through the signed checkpoint, which carries both: so the claim
    checked is (size', root of the tree at size'). A flipped size paired with the old root is no claim
    any checkpoint makes (and may coincide with a proof of the same shape, as in every RFC 9162 verifier).
    """
    store = MemoryHashStore(leaf_hash(e) for e in entries + entries)  # room for sizes up to 2·size
    size = data.draw(st.integers(1, len(entries)))
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(store, index, size)
    leaf = leaf_hash(entries[index])
    for bit in range(64):
        flipped = size ^ (1 << bit)
        # Beyond 2·size no tree exists here; then keep the old root (the proof is too short for it anyway).
        root = tree_root(store, flipped) if flipped <= store.size else tree_root(store, size)
        checkpoint = Checkpoint("example.org/log", flipped, root)
        try:
            verify_inclusion_at(checkpoint, leaf_hash=leaf, index=index, proof=proof)
        except ProofError:
            continue
        raise AssertionError(f"size {size} -> {flipped} verified")


@settings(max_examples=60)
@given(tree_and_index(), st.data())
def test_any_bit_flip_in_a_consistency_proof_or_root_fails(case: Any, data: Any) -> None:
    entries, store, _ = case
    size2 = len(entries)
    size1 = data.draw(st.integers(1, size2))
    root1, root2 = tree_root(store, size1), tree_root(store, size2)
    proof = consistency_proof(store, size1)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[at] = flip(bad[at], data.draw(st.integers(0, 255)))
        assert not is_valid_consistency(size1=size1, size2=size2, root1=root1, root2=root2, proof=bad)
    bit = data.draw(st.integers(0, 255))
    assert not is_valid_consistency(size1=size1, size2=size2, root1=flip(root1, bit), root2=root2, proof=proof)
    assert not is_valid_consistency(size1=size1, size2=size2, root1=root1, root2=flip(root2, bit), proof=proof)


@settings(max_examples=60)
@given(st.lists(st.binary(max_size=4), min_size=2, max_size=260), st.data())
def test_any_bit_flip_in_a_consistency_size_fails(entries: list[bytes], data: Any) -> None:
    """As for inclusion, each size travels with its own root. The only flipped claims that may hold are
    true ones: the empty tree (size 0) is consistent with every tree."""
    store = MemoryHashStore(leaf_hash(e) for e in entries + entries)  # room for sizes up to 2·size2
    size2 = data.draw(st.integers(1, len(entries)))
    size1 = data.draw(st.integers(1, size2))
    proof = consistency_proof(store, size1, size2)
    for bit in range(64):
        for m, n in ((size1 ^ (1 << bit), size2), (size1, size2 ^ (1 << bit))):
            r1 = tree_root(store, m) if m <= store.size else tree_root(store, size1)
            r2 = tree_root(store, n) if n <= store.size else tree_root(store, size2)
            if is_valid_consistency(size1=m, size2=n, root1=r1, root2=r2, proof=proof):
                assert m == 0 and proof == [], f"({size1}, {size2}) -> ({m}, {n}) verified"


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.lists(st.binary(max_size=40), max_size=5),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
hash_or_junk = st.one_of(st.binary(min_size=32, max_size=32), junk)
number_or_junk = st.one_of(st.integers(0, 20), junk)
proof_or_junk = st.one_of(st.lists(st.binary(min_size=32, max_size=32), max_size=6), junk)


@settings(max_examples=300)
@given(hash_or_junk, number_or_junk, number_or_junk, proof_or_junk, hash_or_junk)
def test_inclusion_verifier_raises_only_proof_errors(leaf: Any, index: Any, size: Any, proof: Any, root: Any) -> None:
    try:
        verify_inclusion(leaf_hash=leaf, index=index, size=size, proof=proof, root=root)
    except ProofError as exc:
        assert exc.message_id and exc.message_en
    else:  # random input can only verify if it is well formed and the hashes happen to chain
        assert isinstance(proof, list) and isinstance(root, bytes) and len(proof) == 0 and leaf == root


@settings(max_examples=300)
@given(number_or_junk, number_or_junk, hash_or_junk, hash_or_junk, proof_or_junk)
def test_consistency_verifier_raises_only_proof_errors(size1: Any, size2: Any, root1: Any, root2: Any, proof: Any) -> None:
    try:
        verify_consistency(size1=size1, size2=size2, root1=root1, root2=root2, proof=proof)
    except ProofError as exc:
        assert exc.message_id and exc.message_en
    else:  # only the trivial claims can hold for random input: equal trees, or from the empty tree
        assert proof in ([], ()) and (size1 == size2 and root1 == root2 or size1 == 0)
