"""C2SP signed notes with Ed25519 (https://c2sp.org/signed-note), compatible with golang.org/x/mod/sumdb/note.

A note is a text ending in a newline, a blank line, then signature lines
``— <key name> base64(key ID ‖ signature)``. The key ID of an Ed25519 key is the first four bytes,
big-endian, of ``SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)``. A verifier key is written
``<name>+<key ID as 8 hex digits>+base64(0x01 ‖ public key)``.

Parsing is strict: valid UTF-8, no control character but newline, canonical standard base64, valid
key names, at most :data:`MAX_SIGNATURES` signature lines. Signatures by unknown keys are kept as
unverified and ignored; a signature by a known key that fails to verify rejects the whole note; a note
with no verified signature is rejected (all as the spec says).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeGuard

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.audit.errors import NoteError, Text

ALG_ED25519 = 0x01  # signature type identifier (c2sp.org/signed-note, "Signature types")
ED25519_PUBLIC_KEY_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
MAX_SIGNATURES = 100  # the spec asks for at least 16; golang.org/x/mod/sumdb/note stops at 100
SIGNATURE_PREFIX = "\u2014 "  # em dash, space


# Why a text is refused: protocol rules in both languages (Bahasa Indonesia, English).
KEY_SIZE = Text("kunci publik Ed25519 berukuran 32 byte", "an Ed25519 public key has 32 bytes")
KEY_ID_MISMATCH = Text(
    "ID kunci tidak cocok dengan nama dan kuncinya",
    "the key ID does not match the name and key",
)
VKEY_SHAPE = Text("format yang benar nama+hash+kunci", "expected name+hash+key")
VKEY_NAME = Text("nama kunci tidak sah", "invalid key name")
VKEY_ID_FORMAT = Text(
    "ID kunci harus 8 digit heksadesimal huruf kecil",
    "the key ID must be 8 lowercase hex digits",
)
VKEY_NOT_BASE64 = Text("kunci bukan base64 kanonik", "the key is not canonical base64")
VKEY_NOT_ED25519 = Text(
    "bukan kunci Ed25519 (jenis 0x01, 32 byte)",
    "not an Ed25519 key (type 0x01, 32 bytes)",
)
NO_FINAL_NEWLINE = Text("teks harus diakhiri baris baru", "the text must end with a newline")
NOT_UTF8 = Text("bukan UTF-8 yang sah", "not valid UTF-8")
CONTROL_CHARACTERS = Text(
    "berisi karakter kontrol selain baris baru",
    "control characters other than newline",
)
NO_SIGNER = Text("catatan memerlukan minimal satu tanda tangan", "a note needs at least one signature")
NO_BLANK_LINE = Text("tidak ada baris kosong sebelum tanda tangan", "no blank line before the signatures")
SIGNATURES_UNTERMINATED = Text(
    "blok tanda tangan harus diakhiri baris baru",
    "the signature block must end with a newline",
)
NOT_A_SIGNATURE_LINE = Text(
    "baris tanda tangan harus diawali tanda pisah panjang dan spasi",
    "a signature line must start with an em dash and a space",
)
BAD_SIGNATURE_NAME = Text(
    "nama kunci tidak sah pada baris tanda tangan",
    "invalid key name in a signature line",
)
SIGNATURE_NOT_BASE64 = Text("tanda tangan bukan base64 kanonik", "a signature is not canonical base64")
TOO_MANY_SIGNATURES = Text(
    f"lebih dari {MAX_SIGNATURES} tanda tangan",
    f"more than {MAX_SIGNATURES} signatures",
)
SIGNATURE_TOO_SHORT = Text("tanda tangan terlalu pendek", "a signature is too short")


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode_strict(text: str) -> bytes:
    """Standard base64 (RFC 4648 §4) with padding, in canonical form only; raises ``ValueError``."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("not standard base64") from exc
    if b64encode(raw) != text:
        raise ValueError("not canonical base64")
    return raw


def is_valid_key_name(name: object) -> TypeGuard[str]:
    """Non-empty, no Unicode space, no ``+`` (c2sp.org/signed-note, "Format")."""
    return (
        isinstance(name, str)
        and name != ""
        and "+" not in name
        and not any(ch.isspace() or ord(ch) < 0x20 for ch in name)
    )


def check_key_name(name: object) -> str:
    if not is_valid_key_name(name):
        raise NoteError("bad_key_name")
    return name


def key_id(name: str, public_key: bytes, alg: int = ALG_ED25519) -> int:
    """``SHA-256(name ‖ 0x0A ‖ alg ‖ public key)[:4]`` as a big-endian uint32."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class NoteVerifier:
    """An Ed25519 verifier key: its name, key ID and 32-byte public key."""

    name: str
    key_id: int
    public_key: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if not isinstance(self.public_key, bytes) or len(self.public_key) != ED25519_PUBLIC_KEY_SIZE:
            raise NoteError("malformed_vkey", reason=KEY_SIZE)
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key)
        except ValueError:
            raise NoteError("malformed_vkey", reason=VKEY_NOT_ED25519) from None
        if self.key_id != key_id(self.name, self.public_key):
            raise NoteError("malformed_vkey", reason=KEY_ID_MISMATCH)

    @classmethod
    def from_public_key(cls, name: str, public_key: Ed25519PublicKey | bytes) -> NoteVerifier:
        raw = public_key if isinstance(public_key, bytes) else _raw_public(public_key)
        return cls(check_key_name(name), key_id(name, raw), raw)

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse ``name+hash+base64(0x01‖key)`` strictly."""
        parts = vkey.split("+", 2) if isinstance(vkey, str) else []
        if len(parts) != 3:
            raise NoteError("malformed_vkey", reason=VKEY_SHAPE)
        name, hex_id, b64 = parts
        if not is_valid_key_name(name):
            raise NoteError("malformed_vkey", reason=VKEY_NAME)
        if len(hex_id) != 8 or any(c not in "0123456789abcdef" for c in hex_id):
            raise NoteError("malformed_vkey", reason=VKEY_ID_FORMAT)
        try:
            raw = b64decode_strict(b64)
        except ValueError:
            raise NoteError("malformed_vkey", reason=VKEY_NOT_BASE64) from None
        if len(raw) != 1 + ED25519_PUBLIC_KEY_SIZE or raw[0] != ALG_ED25519:
            raise NoteError("malformed_vkey", reason=VKEY_NOT_ED25519)
        if int(hex_id, 16) != key_id(name, raw[1:]):
            raise NoteError("malformed_vkey", reason=KEY_ID_MISMATCH)
        return cls(name, int(hex_id, 16), raw[1:])

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id:08x}+{b64encode(bytes([ALG_ED25519]) + self.public_key)}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        if len(signature) != ED25519_SIGNATURE_SIZE:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


Verifiers = NoteVerifier | Sequence[NoteVerifier]


def key_list(verifiers: Verifiers) -> list[NoteVerifier]:
    """One key or several keys of one log (after a rotation: the current key and those it replaced),
    as a list without repeats (the same key twice would make :func:`open_note` refuse as ambiguous)."""
    keys = [verifiers] if isinstance(verifiers, NoteVerifier) else list(verifiers)
    if not keys:
        raise NoteError("malformed_vkey", reason=VKEY_SHAPE)
    return list(dict.fromkeys(keys))


class NoteSigner:
    """Signs note texts with an Ed25519 private key under a key name. Its repr never shows the key."""

    __slots__ = ("_key", "verifier")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.verifier = NoteVerifier.from_public_key(name, private_key.public_key())

    @property
    def name(self) -> str:
        return self.verifier.name

    @property
    def key_id(self) -> int:
        return self.verifier.key_id

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def __repr__(self) -> str:
        return f"NoteSigner({self.verifier.vkey!r})"


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, key ID and the signature bytes (without the key ID)."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        return f"{SIGNATURE_PREFIX}{self.name} {b64encode(self.key_id.to_bytes(4, 'big') + self.signature)}\n"


@dataclass(frozen=True)
class SignedNote:
    """An opened note: its text, the signatures verified by known keys, and the others (ignored)."""

    text: str
    signatures: tuple[Signature, ...]
    unverified: tuple[Signature, ...]


def check_text(text: object) -> str:
    """A note text: a ``str`` of UTF-8-encodable characters, ending in newline, no other control characters."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise NoteError("malformed_note", reason=NO_FINAL_NEWLINE)
    _check_characters(text)
    return text


def _check_characters(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteError("malformed_note", reason=NOT_UTF8) from None
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise NoteError("malformed_note", reason=CONTROL_CHARACTERS)


def sign_note(text: str, *signers: NoteSigner) -> str:
    """The signed note: ``text``, a blank line, then one signature line per signer."""
    check_text(text)
    if not signers:
        raise NoteError("malformed_note", reason=NO_SIGNER)
    message = text.encode("utf-8")
    lines = [Signature(s.name, s.key_id, s.sign(message)).line() for s in signers]
    return text + "\n" + "".join(lines)


def parse_note(note: bytes | str) -> tuple[str, tuple[Signature, ...]]:
    """Split a note into its text and signature lines, checking syntax only (no verification)."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("malformed_note", reason=NOT_UTF8) from None
    if not isinstance(note, str):
        kind = type(note).__name__
        raise NoteError("malformed_note", reason=Text(f"harus teks, diterima {kind}", f"expected text, got {kind}"))
    _check_characters(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed_note", reason=NO_BLANK_LINE)
    text, block = note[: split + 1], note[split + 2 :]
    if not block or not block.endswith("\n"):
        raise NoteError("malformed_note", reason=SIGNATURES_UNTERMINATED)
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError("malformed_note", reason=TOO_MANY_SIGNATURES)
    return text, tuple(_parse_signature_line(line) for line in lines)


def _parse_signature_line(line: str) -> Signature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError("malformed_note", reason=NOT_A_SIGNATURE_LINE)
    name, sep, b64 = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not sep or not is_valid_key_name(name):
        raise NoteError("malformed_note", reason=BAD_SIGNATURE_NAME)
    try:
        raw = b64decode_strict(b64)
    except ValueError:
        raise NoteError("malformed_note", reason=SIGNATURE_NOT_BASE64) from None
    if len(raw) < 5:
        raise NoteError("malformed_note", reason=SIGNATURE_TOO_SHORT)
    return Signature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def open_note(note: bytes | str, verifiers: Sequence[NoteVerifier]) -> SignedNote:
    """Parse ``note`` and verify it against ``verifiers`` (c2sp.org/signed-note, "Signatures")."""
    text, signatures = parse_note(note)
    known: dict[tuple[str, int], NoteVerifier] = {}
    for v in verifiers:
        if (v.name, v.key_id) in known:
            raise NoteError("ambiguous_key", name=v.name, key_id=f"{v.key_id:08x}")
        known[(v.name, v.key_id)] = v
    message = text.encode("utf-8")
    verified: dict[tuple[str, int], Signature] = {}
    unverified: dict[Signature, None] = {}
    for sig in signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            unverified.setdefault(sig)
        elif (sig.name, sig.key_id) not in verified:
            if not verifier.verify(message, sig.signature):
                raise NoteError("invalid_signature", name=sig.name, key_id=f"{sig.key_id:08x}")
            verified[(sig.name, sig.key_id)] = sig
    if not verified:
        names = ", ".join(sorted(f"{v.name}+{v.key_id:08x}" for v in verifiers)) or "none"
        raise NoteError("no_verified_signature", names=names)
    return SignedNote(text, tuple(verified.values()), tuple(unverified))
