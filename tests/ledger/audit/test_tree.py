"""The streaming builder, the node layout the sealer persists, and proof generation from a HashStore."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ledger.audit.errors import ProofError
from ledger.audit.merkle import (
    EMPTY_ROOT,
    NodeKey,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from ledger.audit.tree import (
    CompactRange,
    HashStore,
    MemoryHashStore,
    consistency_plan,
    consistency_proof,
    inclusion_plan,
    inclusion_proof,
    tree_root,
)
from tests.ledger.audit import model


def entries_of(n: int) -> list[bytes]:
    return [i.to_bytes(4, "big") for i in range(n)]


@given(st.integers(0, 300))
def test_append_nodes_stores_each_complete_subtree_once(n: int) -> None:
    entries = entries_of(n)
    cr = CompactRange()
    stored: dict[NodeKey, bytes] = {}
    for e in entries:
        for node in cr.append_nodes(leaf_hash(e)):
            assert node.key not in stored, "a node is never written twice"
            stored[node.key] = node.hash
    assert len(stored) == 2 * n - n.bit_count()  # n leaves + every complete interior node
    for key, h in stored.items():
        assert h == model.mth(entries[key.begin : key.end])
    assert cr.root() == model.mth(entries)
    assert cr.keys() == tuple(sorted(cr.keys(), key=lambda k: k.begin))


def test_fast_append_and_append_nodes_agree() -> None:
    fast, slow = CompactRange(), CompactRange()
    for e in entries_of(1000):
        fast.append(leaf_hash(e))
        slow.append_nodes(leaf_hash(e))
        assert fast.hashes() == slow.hashes()
    assert fast.size == 1000 and len(fast.hashes()) == (1000).bit_count()


def test_empty_range() -> None:
    assert CompactRange().root() == EMPTY_ROOT
    assert tree_root(MemoryHashStore()) == EMPTY_ROOT


def test_resume_continues_like_an_uninterrupted_build() -> None:
    entries = entries_of(777)
    store = MemoryHashStore(leaf_hash(e) for e in entries[:500])
    resumed = CompactRange.from_store(store)
    for e in entries[500:]:
        resumed.append(leaf_hash(e))
    assert resumed.root() == model.mth(entries)
    with pytest.raises(ProofError) as err:
        CompactRange.resume(500, resumed.hashes()[:1])
    assert err.value.code == "wrong_proof_length"


class CountingStore:
    """Wraps a store and counts what proof generation asks of it."""

    def __init__(self, inner: HashStore) -> None:
        self.inner, self.calls, self.keys = inner, 0, 0

    @property
    def size(self) -> int:
        return self.inner.size

    def leaf_hash(self, index: int) -> bytes:
        return self.inner.leaf_hash(index)

    def node_hashes(self, keys: Sequence[NodeKey]) -> Sequence[bytes]:
        self.calls += 1
        self.keys += len(keys)
        return self.inner.node_hashes(keys)


class UniformTree:
    """A real RFC 6962 tree of ``size`` identical leaves: the hash at level ``l`` is the same everywhere,
    so any node is computed in O(l). Lets proofs be generated for trees far too big to build."""

    def __init__(self, size: int, entry: bytes = b"same") -> None:
        self._size = size
        self.levels = [leaf_hash(entry)]
        while len(self.levels) < 64:
            self.levels.append(node_hash(self.levels[-1], self.levels[-1]))

    @property
    def size(self) -> int:
        return self._size

    def leaf_hash(self, index: int) -> bytes:
        return self.levels[0]

    def node_hashes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        if any(k.end > self._size for k in keys):
            raise AssertionError("asked for an incomplete node")
        return [self.levels[k.level] for k in keys]


@pytest.mark.parametrize("size", [2**20, 10**6 + 12345, 10**12 + 7, 2**63 + 5])
def test_proofs_of_huge_trees_fetch_only_a_logarithmic_number_of_nodes(size: int) -> None:
    store = CountingStore(UniformTree(size))
    root = tree_root(store)
    depth = (size - 1).bit_length()
    for index in (0, size // 3, size - 1):
        store.calls = store.keys = 0
        proof = inclusion_proof(store, index)
        assert store.calls == 1 and store.keys <= 2 * depth
        verify_inclusion(leaf_hash=store.leaf_hash(index), index=index, size=size, proof=proof, root=root)
    for size1 in (1, size // 2 + 1, size - 1):
        store.calls = store.keys = 0
        proof = consistency_proof(store, size1)
        assert store.calls == 1 and store.keys <= 2 * depth
        verify_consistency(size1=size1, size2=size, root1=tree_root(store, size1), root2=root, proof=proof)


def test_plans_only_name_complete_nodes() -> None:
    for size in range(1, 70):
        for index in range(size):
            assert all(k.end <= size for keys in inclusion_plan(index, size) for k in keys)
        for size1 in range(size + 1):
            assert all(k.end <= size for keys in consistency_plan(size1, size) for k in keys)


def test_refused_requests() -> None:
    store = MemoryHashStore(leaf_hash(e) for e in entries_of(10))
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: inclusion_proof(store, 10), "index_out_of_range"),
        (lambda: inclusion_proof(store, 0, 11), "size_beyond_log"),
        (lambda: inclusion_proof(store, -1), "bad_number"),
        (lambda: consistency_proof(store, 6, 5), "sizes_reversed"),
        (lambda: consistency_proof(store, 1, 11), "size_beyond_log"),
        (lambda: tree_root(store, 11), "size_beyond_log"),
        (lambda: store.leaf_hash(10), "store_node_missing"),
    ]
    for call, code in cases:
        with pytest.raises(ProofError) as err:
            call()
        assert err.value.code == code


class LyingStore(MemoryHashStore):
    def __init__(self, answer: list[object]) -> None:
        super().__init__(leaf_hash(e) for e in entries_of(8))
        self.answer = answer

    def node_hashes(self, keys: Sequence[NodeKey]) -> list[bytes]:
        return self.answer  # type: ignore[return-value]


@pytest.mark.parametrize("answer", [[], [b"short"], ["text"] * 3, [hashlib.sha256().digest()] * 9])
def test_a_store_giving_wrong_answers_is_refused(answer: list[object]) -> None:
    with pytest.raises(ProofError) as err:
        inclusion_proof(LyingStore(answer), 3)
    assert err.value.code == "store_wrong_answer"


class TreeMachine(RuleBasedStateMachine):
    """The store and its builder against the RFC model, step by step (STYLE habit 9)."""

    def __init__(self) -> None:
        super().__init__()
        self.store = MemoryHashStore()
        self.entries: list[bytes] = []

    @rule(entry=st.binary(max_size=5))
    def append(self, entry: bytes) -> None:
        self.store.append(leaf_hash(entry))
        self.entries.append(entry)

    @precondition(lambda self: self.entries)
    @rule(data=st.data())
    def prove_inclusion(self, data: st.DataObject) -> None:
        size = data.draw(st.integers(1, len(self.entries)))
        index = data.draw(st.integers(0, size - 1))
        proof = inclusion_proof(self.store, index, size)
        assert proof == model.path(index, self.entries[:size])
        root = model.mth(self.entries[:size])
        verify_inclusion(leaf_hash=leaf_hash(self.entries[index]), index=index, size=size, proof=proof, root=root)

    @rule(data=st.data())
    def prove_consistency(self, data: st.DataObject) -> None:
        size2 = data.draw(st.integers(0, len(self.entries)))
        size1 = data.draw(st.integers(0, size2))
        proof = consistency_proof(self.store, size1, size2)
        r1, r2 = model.mth(self.entries[:size1]), model.mth(self.entries[:size2])
        verify_consistency(size1=size1, size2=size2, root1=r1, root2=r2, proof=proof)

    @rule()
    def restart_from_store(self) -> None:
        resumed = CompactRange.from_store(self.store)
        assert resumed.root() == self.store.root()

    @invariant()
    def root_matches_model(self) -> None:
        assert self.store.size == len(self.entries)
        assert self.store.root() == tree_root(self.store) == model.mth(self.entries)


TreeMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=40)
test_tree_machine = TreeMachine.TestCase
