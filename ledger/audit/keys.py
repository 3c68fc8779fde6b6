"""The ledger's Ed25519 signing key in a file outside the database (DESIGN §3).

The private key is a PEM PKCS#8 file of mode 0600, created exclusively (an existing key is never
overwritten) and refused on load if group or others may read it. Errors name the path, never any key
bytes. The public half is published as a C2SP verifier key string (see :mod:`ledger.audit.note`).

Rotation (:func:`rotate_key_file`) replaces the key file with a new key in one rename; the old key's
verifier key string is appended first to ``<key file>.retired`` (one per line, public only), and
the old private key is gone. Checkpoints signed before the rotation keep verifying under the retired
keys (:func:`log_verifiers`); the next checkpoint is signed with the new key, after checking that it
extends the last one, whichever key signed that.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from ledger.audit.errors import KeyFileError
from ledger.audit.note import NoteSigner, NoteVerifier

KEY_FILE_MODE = 0o600
KEY_DIR_MODE = 0o700
MAX_KEY_FILE_BYTES = 4096


def create_key_file(path: Path | str) -> Ed25519PrivateKey:
    """Generate an Ed25519 key and write it to ``path`` (mode 0600); refuse if the file exists."""
    path = Path(path)
    path.parent.mkdir(mode=KEY_DIR_MODE, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    except FileExistsError:
        raise KeyFileError("key_exists", path=str(path)) from None
    try:
        os.fchmod(fd, KEY_FILE_MODE)  # the umask may only remove bits; make the mode exact anyway
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def load_key_file(path: Path | str) -> Ed25519PrivateKey:
    """Read the Ed25519 private key at ``path``; refuse a missing, exposed or malformed file."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise KeyFileError("key_missing", path=str(path)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise KeyFileError("key_malformed", path=str(path))
        if info.st_mode & 0o077:
            raise KeyFileError("key_permissions", path=str(path), mode=f"{stat.S_IMODE(info.st_mode):04o}")
        pem = os.read(fd, MAX_KEY_FILE_BYTES + 1)
    finally:
        os.close(fd)
    if len(pem) > MAX_KEY_FILE_BYTES:
        raise KeyFileError("key_malformed", path=str(path))
    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyFileError("key_malformed", path=str(path)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError("key_malformed", path=str(path))
    return key


def retired_file(path: Path | str) -> Path:
    """Where the public keys replaced by rotations are kept: ``<key file>.retired``."""
    path = Path(path)
    return path.with_name(path.name + ".retired")


def retired_vkeys(path: Path | str) -> list[str]:
    """The verifier keys of the keys this key file replaced, oldest first (none before a rotation)."""
    try:
        text = retired_file(path).read_text("utf-8")
    except FileNotFoundError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def log_verifiers(path: Path | str, name: str) -> list[NoteVerifier]:
    """The current key's verifier first, then the retired ones: every key that ever signed this log."""
    current = NoteVerifier.from_public_key(name, load_key_file(path).public_key())
    return list(dict.fromkeys([current, *(NoteVerifier.from_vkey(v) for v in retired_vkeys(path))]))


def rotate_key_file(path: Path | str, name: str) -> Ed25519PrivateKey:
    """Replace the signing key with a new one; the old public key is kept in :func:`retired_file`.

    The old verifier key is written (and synced) before the key file is replaced, so a crash in
    between leaves the old key both current and retired (harmless), never a key nobody can verify.
    """
    path = Path(path)
    old = NoteVerifier.from_public_key(name, load_key_file(path).public_key()).vkey
    if old not in retired_vkeys(path):
        fd = os.open(retired_file(path), os.O_WRONLY | os.O_CREAT | os.O_APPEND, KEY_FILE_MODE)
        try:
            os.write(fd, (old + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    staged = path.with_name(path.name + ".new")
    staged.unlink(missing_ok=True)  # a rotation that died before its rename
    key = create_key_file(staged)
    os.replace(staged, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return key


def signer_from_file(path: Path | str, name: str) -> NoteSigner:
    """The note signer for the key at ``path`` under key name ``name`` (the log's origin)."""
    return NoteSigner(name, load_key_file(path))


def public_vkey(name: str, key: Ed25519PrivateKey) -> str:
    """The verifier key string ``name+hash+base64(0x01‖pubkey)`` to publish for auditors."""
    return NoteVerifier.from_public_key(name, key.public_key()).vkey
