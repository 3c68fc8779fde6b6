"""SNAP signatures and timestamps, against values computed independently (openssl, by hand)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bpjs_link.signing import (
    body_digest,
    format_timestamp,
    hmac_signature,
    hmac_valid,
    minify_json,
    parse_timestamp,
    rsa_signature,
    rsa_valid,
    string_to_sign,
)

BODY = '{ "nik" : "7312011705800001",\n  "note": "a b" }'
PATH = "/snap/v1.0/bpu/participant-inquiry"
STAMP = "2026-12-04T10:15:30+07:00"
# printf '%s' 'POST:<path>:tok123:<sha256 hex of minified body>:<stamp>' | openssl dgst -sha512 -hmac s3cret -binary | base64
OPENSSL_HMAC = "BS4z6i4Rz/LOITxJ1yry8VTINijzoCKpicUpR31LwmunroZSeu9i1n+Kp7kiCf9ytJzm63Db/2YcAl5pGjeEEA=="


def test_minify_keeps_whitespace_inside_strings_only() -> None:
    assert minify_json(BODY) == '{"nik":"7312011705800001","note":"a b"}'
    assert minify_json('{"a": "x\\" y", "b" : [1, 2]}') == '{"a":"x\\" y","b":[1,2]}'
    assert minify_json("not json  at all") == "notjsonatall"


def test_body_digest_is_lowercase_hex_sha256_of_minified_body() -> None:
    assert body_digest(BODY) == "d0b2ded64cf1c88c5cd82add47e74eeda1c1288b4802713e70b1df3f308dcd46"


def test_string_to_sign_layout() -> None:
    assert string_to_sign("post", PATH, "tok123", BODY, STAMP) == (
        f"POST:{PATH}:tok123:d0b2ded64cf1c88c5cd82add47e74eeda1c1288b4802713e70b1df3f308dcd46:{STAMP}")


def test_hmac_matches_openssl() -> None:
    assert hmac_signature("s3cret", "POST", PATH, "tok123", BODY, STAMP) == OPENSSL_HMAC
    assert hmac_valid(OPENSSL_HMAC, "s3cret", "POST", PATH, "tok123", BODY, STAMP)
    assert not hmac_valid(OPENSSL_HMAC, "s3cret", "POST", PATH, "tok124", BODY, STAMP)
    assert not hmac_valid(OPENSSL_HMAC, "other", "POST", PATH, "tok123", BODY, STAMP)
    assert not hmac_valid("", "s3cret", "POST", PATH, "tok123", BODY, STAMP)


def test_rsa_token_signature_round_trip_and_tamper() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sig = rsa_signature(key, "KIOSK-1", STAMP)
    assert rsa_valid(key.public_key(), sig, "KIOSK-1", STAMP)
    assert not rsa_valid(key.public_key(), sig, "KIOSK-1", "2026-12-04T10:15:31+07:00")
    assert not rsa_valid(key.public_key(), sig, "KIOSK-2", STAMP)
    assert not rsa_valid(other.public_key(), sig, "KIOSK-1", STAMP)
    assert not rsa_valid(key.public_key(), "not base64!", "KIOSK-1", STAMP)


def test_timestamps_are_wib_whole_seconds() -> None:
    wita = timezone(timedelta(hours=8))
    moment = datetime(2026, 12, 4, 11, 15, 30, 987000, tzinfo=wita)
    assert format_timestamp(moment) == STAMP
    assert parse_timestamp(STAMP) == moment.replace(microsecond=0)
    assert parse_timestamp("2026-12-04T03:15:30Z") == moment.replace(microsecond=0)
    with pytest.raises(ValueError):
        format_timestamp(datetime(2026, 12, 4, 10, 15, 30))
    for bad in ("2026-12-04T10:15:30", "2026-12-04 10:15:30+07:00", "yesterday", "2026-13-04T10:15:30+07:00"):
        with pytest.raises(ValueError):
            parse_timestamp(bad)
