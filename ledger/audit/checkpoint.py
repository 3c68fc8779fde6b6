"""C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): a log's signed tree head as a signed note.

The note text is the origin line, the tree size in decimal (no leading zeros), the root hash in
standard base64, then optional non-empty extension lines, each ending in a newline::

    sutasoma.soppeng.go.id/ledger
    20852163
    CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

    — sutasoma.soppeng.go.id/ledger Az3grlgtzPICa5OS8npVmf1Myq/5IZ...

Our log signs with a key whose name is the origin (the spec's SHOULD). A checkpoint is only ever
trusted after :func:`open_checkpoint` verified it under a pinned key: size and root come as a pair
from that signature, which is what binds a root to its size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger.audit.errors import CheckpointError, NoteError, Text
from ledger.audit.merkle import HASH_SIZE, MAX_SIZE, verify_consistency, verify_inclusion
from ledger.audit.note import (
    NoteSigner,
    Verifiers,
    b64decode_strict,
    b64encode,
    check_text,
    key_list,
    open_note,
    sign_note,
)


# Why a text is refused: protocol rules in both languages (Bahasa Indonesia, English).
BAD_ORIGIN = Text("asal (origin) harus satu baris yang tidak kosong", "the origin must be one non-empty line")
SIZE_RANGE = Text("ukuran pohon harus di antara 0..2^64-1", "the tree size must be in 0..2^64-1")
ROOT_SIZE = Text("hash akar harus 32 byte", "the root hash must have 32 bytes")
BAD_EXTENSION = Text(
    "baris ekstensi harus baris yang tidak kosong",
    "extension lines must be non-empty lines",
)
NO_FINAL_NEWLINE = Text("teks harus diakhiri baris baru", "the text must end with a newline")
TOO_FEW_LINES = Text("baris asal, ukuran dan akar wajib ada", "origin, size and root lines are required")
SIZE_FORMAT = Text(
    "ukuran harus desimal tanpa nol di depan",
    "the size must be decimal without leading zeros",
)
ROOT_NOT_BASE64 = Text("hash akar bukan base64 kanonik", "the root hash is not canonical base64")


@dataclass(frozen=True)
class Checkpoint:
    """Origin, tree size and root hash of a log, plus opaque extension lines (not recommended)."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not self.origin or "\n" in self.origin:
            raise CheckpointError("malformed_checkpoint", reason=BAD_ORIGIN)
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not 0 <= self.size <= MAX_SIZE:
            raise CheckpointError("malformed_checkpoint", reason=SIZE_RANGE)
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise CheckpointError("malformed_checkpoint", reason=ROOT_SIZE)
        for line in self.extensions:
            if not isinstance(line, str) or not line or "\n" in line:
                raise CheckpointError("malformed_checkpoint", reason=BAD_EXTENSION)
        try:
            check_text(self.text())
        except NoteError as exc:
            raise CheckpointError("malformed_checkpoint", reason=exc.fields.get("reason", exc.text)) from None

    def text(self) -> str:
        """The note text: origin, size, base64 root, extension lines, each ending in a newline."""
        lines = [self.origin, str(self.size), b64encode(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint whose signature verified, with the exact note it came in (for storage and export)."""

    checkpoint: Checkpoint
    note: str


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint note text strictly (the signatures are not part of it)."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise CheckpointError("malformed_checkpoint", reason=NO_FINAL_NEWLINE)
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError("malformed_checkpoint", reason=TOO_FEW_LINES)
    origin, size_line, root_line, *extensions = lines
    if not size_line.isascii() or not size_line.isdigit() or (size_line != "0" and size_line.startswith("0")):
        raise CheckpointError("malformed_checkpoint", reason=SIZE_FORMAT)
    if len(size_line) > len(str(MAX_SIZE)):
        raise CheckpointError("malformed_checkpoint", reason=SIZE_RANGE)
    try:
        root = b64decode_strict(root_line)
    except ValueError:
        raise CheckpointError("malformed_checkpoint", reason=ROOT_NOT_BASE64) from None
    return Checkpoint(origin, int(size_line), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> SignedCheckpoint:
    """Sign ``checkpoint`` as a note; the signer's key name must be the checkpoint's origin."""
    if signer.name != checkpoint.origin:
        raise CheckpointError("wrong_origin", got=checkpoint.origin, want=signer.name)
    return SignedCheckpoint(checkpoint, sign_note(checkpoint.text(), signer))


def open_checkpoint(note: bytes | str, verifier: Verifiers, origin: str | None = None) -> SignedCheckpoint:
    """Verify ``note`` under ``verifier`` and parse it; its origin must be ``origin`` (default: the key name).

    ``verifier`` may be several keys of one log: the current one and those it replaced (a rotated
    signing key), so a checkpoint signed by any of them opens. Raises :class:`NoteError` for a bad or
    missing signature and :class:`CheckpointError` for a malformed text or another log's checkpoint.
    """
    keys = key_list(verifier)
    opened = open_note(note, keys)
    checkpoint = parse_checkpoint(opened.text)
    want = keys[0].name if origin is None else origin
    if checkpoint.origin != want:
        raise CheckpointError("wrong_origin", got=checkpoint.origin, want=want)
    text = note.decode("utf-8") if isinstance(note, bytes) else note
    return SignedCheckpoint(checkpoint, text)


def verify_inclusion_at(checkpoint: Checkpoint, *, leaf_hash: bytes, index: int, proof: Sequence[bytes]) -> None:
    """Check a leaf's inclusion proof against a (verified) checkpoint's size and root together."""
    size, root = checkpoint.size, checkpoint.root_hash
    verify_inclusion(leaf_hash=leaf_hash, index=index, size=size, proof=proof, root=root)


def verify_consistency_between(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Check that ``new`` extends ``old`` (same origin, consistency proof from old to new)."""
    if old.origin != new.origin:
        raise CheckpointError("wrong_origin", got=new.origin, want=old.origin)
    verify_consistency(size1=old.size, size2=new.size, root1=old.root_hash, root2=new.root_hash, proof=proof)

