"""The signing key file: created 0600 and exclusively, refused when exposed, malformed or not Ed25519."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from ledger.audit.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.audit.errors import KeyFileError
from ledger.audit.keys import create_key_file, load_key_file, public_vkey, signer_from_file
from ledger.audit.note import NoteVerifier

ORIGIN = "sutasoma.example/ledger"


def raw_private(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def test_create_then_load_and_sign(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "ledger.pem"
    key = create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert raw_private(load_key_file(path)) == raw_private(key)
    vkey = public_vkey(ORIGIN, key)
    signed = sign_checkpoint(Checkpoint(ORIGIN, 1, bytes(32)), signer_from_file(path, ORIGIN))
    assert open_checkpoint(signed.note, NoteVerifier.from_vkey(vkey)).checkpoint.size == 1


def test_mode_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        create_key_file(tmp_path / "k.pem")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "k.pem").stat().st_mode) == 0o600


def test_an_existing_key_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    first = create_key_file(path)
    with pytest.raises(KeyFileError) as err:
        create_key_file(path)
    assert err.value.code == "key_exists" and err.value.fields["path"] == str(path)
    assert raw_private(load_key_file(path)) == raw_private(first)


def test_refusals_never_show_key_material(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    key = create_key_file(path)
    secret_pem = path.read_text()
    os.chmod(path, 0o640)
    with pytest.raises(KeyFileError) as err:
        load_key_file(path)
    assert err.value.code == "key_permissions" and err.value.fields["mode"] == "0640"
    for text in (str(err.value), err.value.message_id, repr(err.value.fields)):
        assert raw_private(key).hex() not in text and secret_pem.splitlines()[1] not in text


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a key",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ec.generate_private_key(ec.SECP256R1()).private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()),
        b"x" * 5000,
    ],
)
def test_malformed_or_foreign_keys_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "k.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, content)
    os.close(fd)
    with pytest.raises(KeyFileError) as err:
        load_key_file(path)
    assert err.value.code == "key_malformed"


def test_missing_key_and_directory(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError) as err:
        load_key_file(tmp_path / "absent.pem")
    assert err.value.code == "key_missing"
    assert "kiosk keys init" in err.value.message_en and "kiosk keys init" in err.value.message_id
    with pytest.raises(KeyFileError) as err:
        load_key_file(tmp_path)
    assert err.value.code == "key_malformed"
