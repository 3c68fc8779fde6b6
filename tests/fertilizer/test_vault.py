from __future__ import annotations

import re
import uuid

import pytest

from fertilizer.errors import KeyStoreError
from fertilizer.vault import new_data_key, new_pseudonym, nik_lookup_hash, open_sealed, seal
from tests.fertilizer.helpers import NIK_MAN


def test_round_trip_and_no_plaintext_in_the_blob() -> None:
    key, fid = new_data_key(), uuid.uuid4()
    blob = seal(key, fid, "nik", NIK_MAN)
    assert NIK_MAN.encode() not in blob and blob[:1] == b"\x01"
    assert open_sealed(key, fid, "nik", blob) == NIK_MAN
    assert seal(key, fid, "nik", NIK_MAN) != blob  # fresh nonce every time


@pytest.mark.parametrize("how", ["other_farmer", "other_field", "other_key", "tampered", "truncated"])
def test_ciphertext_is_bound_to_farmer_field_and_key(how: str) -> None:
    key, fid = new_data_key(), uuid.uuid4()
    blob = seal(key, fid, "name", "Sitti Tahir")
    args = {"other_farmer": (key, uuid.uuid4(), "name", blob), "other_field": (key, fid, "nik", blob),
            "other_key": (new_data_key(), fid, "name", blob),
            "tampered": (key, fid, "name", blob[:-1] + bytes([blob[-1] ^ 1])), "truncated": (key, fid, "name", blob[:10])}[how]
    with pytest.raises(KeyStoreError):
        open_sealed(*args)


def test_lookup_hash_is_keyed() -> None:
    k1, k2 = new_data_key(), new_data_key()
    assert nik_lookup_hash(k1, NIK_MAN) == nik_lookup_hash(k1, NIK_MAN)
    assert nik_lookup_hash(k1, NIK_MAN) != nik_lookup_hash(k2, NIK_MAN)
    assert re.fullmatch(r"[0-9a-f]{64}", nik_lookup_hash(k1, NIK_MAN))


def test_pseudonyms() -> None:
    made = {new_pseudonym() for _ in range(2_000)}
    assert len(made) == 2_000
    assert all(re.fullmatch(r"F-[A-Z2-7]{12}", p) for p in made)
