"""C2SP tlog-checkpoint: format, strict parsing, signing, and a real sum.golang.org checkpoint."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from ledger.audit.checkpoint import (
    Checkpoint,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
    verify_consistency_between,
)
from ledger.audit.errors import CheckpointError, NoteError, ProofError
from ledger.audit.merkle import leaf_hash
from ledger.audit.note import NoteSigner, NoteVerifier
from ledger.audit.tree import MemoryHashStore, consistency_proof, tree_root
from tests.ledger.audit import vectors as v

ORIGIN = "sutasoma.example/ledger"
ROOT = bytes(range(32))
ROOT_B64 = base64.b64encode(ROOT).decode()


@pytest.fixture(scope="module")
def signer() -> NoteSigner:
    return NoteSigner(ORIGIN, Ed25519PrivateKey.generate())


def test_a_real_sum_golang_org_checkpoint_verifies() -> None:
    verifier = NoteVerifier.from_vkey(v.SUMDB_VKEY)  # its base64 contains '+': split on the first two only
    signed = open_checkpoint(v.SUMDB_CHECKPOINT, verifier, v.SUMDB_ORIGIN)
    assert signed.checkpoint.origin == "go.sum database tree" and signed.checkpoint.size == 31700353
    assert base64.b64encode(signed.checkpoint.root_hash).decode() == "qINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs="
    assert signed.note == v.SUMDB_CHECKPOINT
    with pytest.raises(CheckpointError) as err:  # the origin defaults to the key name, which differs here
        open_checkpoint(v.SUMDB_CHECKPOINT, verifier)
    assert err.value.code == "wrong_origin"
    with pytest.raises(NoteError):
        open_checkpoint(v.SUMDB_CHECKPOINT.replace("31700353", "31700354"), verifier, v.SUMDB_ORIGIN)


def test_format_and_parse() -> None:
    cp = Checkpoint(ORIGIN, 20852163, ROOT)
    assert cp.text() == f"{ORIGIN}\n20852163\n{ROOT_B64}\n"
    assert parse_checkpoint(cp.text()) == cp
    with_ext = Checkpoint(ORIGIN, 0, ROOT, ("ext one", "ext two"))
    assert parse_checkpoint(with_ext.text()) == with_ext
    assert parse_checkpoint(f"{ORIGIN}\n18446744073709551615\n{ROOT_B64}\n").size == 2**64 - 1


@pytest.mark.parametrize(
    "text",
    [
        f"{ORIGIN}\n-42\n{ROOT_B64}\n",  # trillian-tessera parse_test.go "Negative size"
        f"{ORIGIN}\n42\nthisisnotright\n",  # "Bad hash"
        f"42\n{ROOT_B64}\n",  # "No origin"
        f"\n42\n{ROOT_B64}\n",  # "Empty origin": tessera's unsafe parser takes it; the spec says MUST be non-empty
        f"{ORIGIN}\n042\n{ROOT_B64}\n",
        f"{ORIGIN}\n+42\n{ROOT_B64}\n",
        f"{ORIGIN}\n 42\n{ROOT_B64}\n",
        f"{ORIGIN}\n\uff14\uff12\n{ROOT_B64}\n",  # full-width digits
        f"{ORIGIN}\n18446744073709551616\n{ROOT_B64}\n",
        f"{ORIGIN}\n42\n{base64.b64encode(ROOT[:31]).decode()}\n",
        f"{ORIGIN}\n42\n{ROOT_B64.rstrip('=')}\n",
        f"{ORIGIN}\n42\n{ROOT_B64[:-2]}B=\n",  # non-canonical trailing bits
        f"{ORIGIN}\n42\n{ROOT_B64}",
        f"{ORIGIN}\n42\n{ROOT_B64}\n\n",
        f"{ORIGIN}\n42\n{ROOT_B64}\n\nextension after a blank\n",
        f"{ORIGIN}\n42\n",
        "",
    ],
)
def test_strict_parse_refuses(text: str) -> None:
    with pytest.raises(CheckpointError) as err:
        parse_checkpoint(text)
    assert err.value.code == "malformed_checkpoint" and err.value.message_id and err.value.message_en


@pytest.mark.parametrize(
    ("origin", "size", "root", "ext"),
    [("", 1, ROOT, ()), ("a\nb", 1, ROOT, ()), (ORIGIN, -1, ROOT, ()), (ORIGIN, 2**64, ROOT, ()),
     (ORIGIN, True, ROOT, ()), (ORIGIN, 1, ROOT[:31], ()), (ORIGIN, 1, ROOT, ("",)), (ORIGIN, 1, ROOT, ("a\x00",))],
)
def test_invalid_checkpoints_cannot_be_built(origin: str, size: int, root: bytes, ext: tuple[str, ...]) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint(origin, size, root, ext)


def test_sign_and_open(signer: NoteSigner) -> None:
    cp = Checkpoint(ORIGIN, 7, ROOT)
    signed = sign_checkpoint(cp, signer)
    assert signed.note.startswith(cp.text() + "\n\u2014 " + ORIGIN + " ")
    assert open_checkpoint(signed.note, signer.verifier) == signed
    assert open_checkpoint(signed.note.encode(), signer.verifier).checkpoint == cp
    with pytest.raises(CheckpointError) as err:
        sign_checkpoint(Checkpoint("another.example/log", 7, ROOT), signer)
    assert err.value.code == "wrong_origin"


def test_changing_a_signed_checkpoint_or_its_key_fails(signer: NoteSigner) -> None:
    signed = sign_checkpoint(Checkpoint(ORIGIN, 7, ROOT), signer)
    with pytest.raises(NoteError) as err:
        open_checkpoint(signed.note.replace("\n7\n", "\n8\n"), signer.verifier)
    assert err.value.code == "invalid_signature"
    impostor = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())  # same name, other key: unknown, ignored
    forged = sign_checkpoint(Checkpoint(ORIGIN, 8, ROOT), impostor)
    with pytest.raises(NoteError) as err:
        open_checkpoint(forged.note, signer.verifier)
    assert err.value.code == "no_verified_signature"


def test_consistency_between_checkpoints() -> None:
    store = MemoryHashStore(leaf_hash(bytes([i])) for i in range(20))
    old, new = Checkpoint(ORIGIN, 11, tree_root(store, 11)), Checkpoint(ORIGIN, 20, tree_root(store))
    verify_consistency_between(old, new, consistency_proof(store, 11))
    with pytest.raises(ProofError):
        verify_consistency_between(new, old, consistency_proof(store, 11))
    with pytest.raises(CheckpointError):
        verify_consistency_between(old, Checkpoint("other.example", 20, new.root_hash), consistency_proof(store, 11))


origins = st.text(alphabet=st.characters(min_codepoint=0x21, blacklist_categories=["Cs"]), min_size=1, max_size=30)


@given(origins, st.integers(0, 2**64 - 1), st.binary(min_size=32, max_size=32))
def test_round_trip(origin: str, size: int, root: bytes) -> None:
    cp = Checkpoint(origin, size, root)
    assert parse_checkpoint(cp.text()) == cp


@given(st.text(max_size=120))
def test_garbage_raises_only_checkpoint_errors(text: str) -> None:
    try:
        cp = parse_checkpoint(text)
    except CheckpointError:
        return
    assert cp.text() == text  # whatever parses is exactly the canonical form
