"""C2SP signed notes against golang.org/x/mod/sumdb/note's published test keys and notes (vectors.py)."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.audit.errors import NoteError
from ledger.audit.note import (
    MAX_SIGNATURES,
    NoteSigner,
    NoteVerifier,
    Signature,
    key_id,
    open_note,
    parse_note,
    sign_note,
)
from tests.ledger.audit import vectors as v


def signer_from_go_skey(skey: str) -> NoteSigner:
    """Decode Go's ``PRIVATE+KEY+name+hash+base64(0x01‖seed)`` (test-only; our keys live in PEM files)."""
    _, _, name, _, b64 = skey.split("+", 4)
    raw = base64.b64decode(b64)
    return NoteSigner(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))


PETER = signer_from_go_skey(v.PETER_SKEY)
PETER_V = NoteVerifier.from_vkey(v.PETER_VKEY)
ENOCH_V = NoteVerifier.from_vkey(v.ENOCH_VKEY)


def test_go_test_key_round_trips() -> None:
    assert PETER.verifier == PETER_V
    assert PETER_V.vkey == v.PETER_VKEY and ENOCH_V.vkey == v.ENOCH_VKEY
    assert PETER_V.key_id == 0xC74F20A3 == key_id("PeterNeumann", PETER_V.public_key)
    assert ENOCH_V.key_id == 0xAF0CFE78


def test_signing_reproduces_gos_signed_note_byte_for_byte() -> None:
    assert sign_note(v.NOTE_TEXT, PETER) == v.PETER_SIGNED_NOTE


def test_signer_repr_shows_no_private_key() -> None:
    seed = base64.b64decode(v.PETER_SKEY.split("+", 4)[4])[1:]
    text = repr(PETER)
    assert "PeterNeumann" in text and base64.b64encode(seed).decode() not in text and seed.hex() not in text


def test_every_mangling_of_a_verifier_key_is_refused() -> None:
    # TestNewVerifier: every proper substring, every single-byte increment, and two adjusted-hash keys.
    good = v.PETER_VKEY
    bad = [good[i:j] for i in range(len(good) + 1) for j in range(i + 1, len(good) + 1) if (i, j) != (0, len(good))]
    bad += [good[:i] + chr(ord(good[i]) + 1) + good[i + 1 :] for i in range(len(good))]
    bad += v.BAD_VKEYS_ADJUSTED + ["", "a+b+c+d", "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"]
    accepted = []
    for key in bad:
        try:
            NoteVerifier.from_vkey(key)
        except NoteError as exc:
            assert exc.code == "malformed_vkey"
        else:
            accepted.append(key)
    assert accepted == []


def test_open_verifies_known_keys_and_keeps_unknown_ones_unverified() -> None:
    # TestOpen
    peter = Signature("PeterNeumann", 0xC74F20A3, base64.b64decode(v.PETER_SIG.split(" ")[2])[4:])
    enoch = Signature("EnochRoot", 0xAF0CFE78, base64.b64decode(v.ENOCH_SIG.split(" ")[2])[4:])
    msg = v.NOTE_TEXT + "\n" + v.PETER_SIG + v.ENOCH_SIG
    n = open_note(msg, [PETER_V])
    assert n.text == v.NOTE_TEXT and n.signatures == (peter,) and n.unverified == (enoch,)
    n = open_note(msg.encode("utf-8"), [PETER_V, ENOCH_V])
    assert n.signatures == (peter, enoch) and n.unverified == ()
    with pytest.raises(NoteError) as err:
        open_note(msg, [])
    assert err.value.code == "no_verified_signature"
    with pytest.raises(NoteError) as err:
        open_note(v.NOTE_TEXT + "\n" + v.ENOCH_SIG, [ENOCH_V, PETER_V, ENOCH_V])
    assert err.value.code == "ambiguous_key"
    # repeated signatures are dropped, also repeated unverified ones
    n = open_note(v.NOTE_TEXT + "\n" + v.PETER_SIG * 2 + v.ENOCH_SIG * 2, [PETER_V])
    assert n.signatures == (peter,) and n.unverified == (enoch,)


def test_a_bad_signature_by_a_known_key_rejects_the_note() -> None:
    tampered = v.PETER_SIG[:60] + "ABCD" + v.PETER_SIG[60:]
    with pytest.raises(NoteError) as err:
        open_note(v.NOTE_TEXT + "\n" + tampered, [PETER_V])
    assert err.value.code == "invalid_signature"  # as upstream: "invalid signature for key PeterNeumann+c74f20a3"
    assert err.value.fields == {"name": "PeterNeumann", "key_id": "c74f20a3"}
    flipped = base64.b64decode(v.PETER_SIG.split(" ")[2])
    flipped = flipped[:10] + bytes([flipped[10] ^ 1]) + flipped[11:]
    line = f"\u2014 PeterNeumann {base64.b64encode(flipped).decode()}\n"
    with pytest.raises(NoteError) as err:
        open_note(v.NOTE_TEXT + "\n" + line, [PETER_V])
    assert err.value.code == "invalid_signature" and err.value.fields["name"] == "PeterNeumann"
    with pytest.raises(NoteError) as err:
        open_note(v.NOTE_TEXT.replace("problem,", "problem;") + "\n" + v.PETER_SIG, [PETER_V])
    assert err.value.code == "invalid_signature"


@pytest.mark.parametrize(
    "msg",
    [
        # TestOpen's badMsgs
        v.NOTE_TEXT,
        v.NOTE_TEXT + "\n",
        v.NOTE_TEXT + "\n" + v.PETER_SIG[:-1],
        "\x01" + v.NOTE_TEXT + "\n" + v.PETER_SIG,
        b"\xff" + (v.NOTE_TEXT + "\n" + v.PETER_SIG).encode(),  # Go's "\xff" is a byte: invalid UTF-8
        v.NOTE_TEXT + "\n" + "\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        v.NOTE_TEXT + "\n" + v.PETER_SIG + "Unexpected line.\n",
        # and ours
        v.NOTE_TEXT + "\n" + v.PETER_SIG * (MAX_SIGNATURES + 1),
        v.NOTE_TEXT + "\n" + "\u2014 PeterNeumann AAAA\n",  # signature shorter than key ID + 1 byte
        v.NOTE_TEXT + "\n" + v.PETER_SIG.replace("=\n", "\n"),  # missing padding
        v.NOTE_TEXT + "\n" + v.PETER_SIG.replace("\u2014 ", "- "),
        v.NOTE_TEXT + "\n" + v.PETER_SIG.replace("PeterNeumann", "Peter+Neumann"),
        v.NOTE_TEXT.replace("\n", "\r\n", 1) + "\n" + v.PETER_SIG,
        "\ud800" + v.NOTE_TEXT + "\n" + v.PETER_SIG,  # lone surrogate: not UTF-8
    ],
)
def test_malformed_notes_are_refused(msg: str | bytes) -> None:
    with pytest.raises(NoteError) as err:
        open_note(msg, [PETER_V])
    assert err.value.code == "malformed_note"


def test_signing_refuses_bad_texts_and_names() -> None:
    for text in ("abc", "a\x00b\n", "\ud800\n"):
        with pytest.raises(NoteError):
            sign_note(text, PETER)
    with pytest.raises(NoteError):
        sign_note(v.NOTE_TEXT)
    for name in ("", "a b", "a+b", "tab\tname", "nbsp\u00a0name"):
        with pytest.raises(NoteError) as err:
            NoteSigner(name, Ed25519PrivateKey.generate())
        assert err.value.code == "bad_key_name"


@settings(max_examples=50)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\r"), max_size=80))
def test_any_text_round_trips_and_any_change_breaks_it(body: str) -> None:
    text = "".join(ch for ch in body if ord(ch) >= 0x20 or ch == "\n") + "\n"
    note = sign_note(text, PETER)
    assert open_note(note, [PETER_V]).text == text
    assert parse_note(note)[0] == text
    changed = "x" + note
    with pytest.raises(NoteError):
        open_note(changed, [PETER_V])


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200), st.none(), st.integers()))
def test_garbage_raises_only_note_errors(msg: object) -> None:
    with pytest.raises(NoteError):
        open_note(msg, [PETER_V])  # type: ignore[arg-type]
