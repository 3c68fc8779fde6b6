"""Field encryption for farmers' personal data (UU 27/2022 PDP): AES-256-GCM per farmer.

Each farmer has a 256-bit data key held by a :class:`fertilizer.keystore.KeyStore` outside the
database. A field is stored as ``version (1 byte) || nonce (12) || ciphertext+tag``; the associated
data binds it to the farmer id and the field name, so a ciphertext copied to another farmer or
another column fails to decrypt. The NIK is found by ``HMAC-SHA256(lookup key, NIK)``, the lookup
key being a separate key of the store. Pseudonyms are random and carry no personal data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from fertilizer.errors import KeyStoreError

FORMAT_V1 = b"\x01"
NONCE_BYTES = 12
KEY_BYTES = 32
PSEUDONYM_PREFIX = "F-"
PSEUDONYM_CHARS = 12  # base32: 60 random bits


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _aad(farmer_id: uuid.UUID, field: str) -> bytes:
    return b"sutasoma/farmer/v1/" + farmer_id.bytes + b"/" + field.encode("ascii")


def seal(key: bytes, farmer_id: uuid.UUID, field: str, plaintext: str) -> bytes:
    """Encrypt one field of one farmer."""
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT_V1 + nonce + AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), _aad(farmer_id, field))


def seal_fields(key: bytes, farmer_id: uuid.UUID, fields: dict[str, str]) -> dict[str, bytes]:
    """:func:`seal` for several fields of one farmer (one cipher object for all of them)."""
    cipher = AESGCM(key)
    out = {}
    for name, plaintext in fields.items():
        nonce = os.urandom(NONCE_BYTES)
        out[name] = FORMAT_V1 + nonce + cipher.encrypt(nonce, plaintext.encode("utf-8"), _aad(farmer_id, name))
    return out


def open_sealed(key: bytes, farmer_id: uuid.UUID, field: str, blob: bytes) -> str:
    """Decrypt one field; a wrong key, farmer, field or a tampered blob raises KeyStoreError."""
    if blob[:1] != FORMAT_V1 or len(blob) < 1 + NONCE_BYTES + 16:
        raise KeyStoreError("bad_ciphertext", "Data terenkripsi rusak.", "Encrypted field is malformed.", field=field)
    nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, _aad(farmer_id, field)).decode("utf-8")
    except InvalidTag:
        raise KeyStoreError(
            "decrypt_failed",
            "Data terenkripsi tidak cocok dengan kunci atau petani ini.",
            "Encrypted field does not match this key or farmer.",
            field=field,
        ) from None


def nik_lookup_hash(lookup_key: bytes, nik: str) -> str:
    """The keyed hash the registry stores and searches instead of the NIK (hex, 64 chars)."""
    return hmac.new(lookup_key, b"nik:" + nik.encode("ascii"), hashlib.sha256).hexdigest()


def new_pseudonym() -> str:
    """``F-`` + 12 base32 characters: the only farmer reference the ledger and audit log see."""
    return new_pseudonyms(1)[0]


def new_pseudonyms(count: int) -> list[str]:
    """``count`` pseudonyms from one draw of random bytes (10 bytes per pseudonym, of which the
    first 60 bits become its 12 base32 characters)."""
    raw = base64.b32encode(secrets.token_bytes(10 * count)).decode("ascii")  # 10 bytes = 16 characters
    return [PSEUDONYM_PREFIX + raw[16 * i : 16 * i + PSEUDONYM_CHARS] for i in range(count)]
