"""SNAP signatures and timestamps (pure; no I/O).

* Access token: ``X-SIGNATURE = base64(SHA256withRSA(private key, client_key + "|" + X-TIMESTAMP))``.
* Service calls: ``X-SIGNATURE = base64(HMAC-SHA512(client_secret, METHOD:path:token:hex(sha256(minified
  body)):X-TIMESTAMP))`` with the hex digest in lowercase.
* Answers (our convention, DESIGN §8): the host signs each answer the same way, over the answer's
  body and its own X-TIMESTAMP, with the request's method, path and token.
* Timestamps: ISO 8601 with an explicit offset, whole seconds, ``+07:00`` (WIB) as SNAP hosts use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

WIB = timezone(timedelta(hours=7), "WIB")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")
_WS = frozenset(" \t\r\n")


def minify_json(text: str) -> str:
    """``text`` without whitespace outside string literals (SNAP's "minify"). Works on any text."""
    out: list[str] = []
    in_string = False
    escaped = False
    for ch in text:
        if in_string:
            out.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif ch not in _WS:
            out.append(ch)
    return "".join(out)


def body_digest(body: str) -> str:
    """Lowercase hex SHA-256 of the minified body."""
    return hashlib.sha256(minify_json(body).encode("utf-8")).hexdigest()


def string_to_sign(method: str, path: str, token: str, body: str, timestamp: str) -> str:
    return f"{method.upper()}:{path}:{token}:{body_digest(body)}:{timestamp}"


def hmac_signature(secret: str, method: str, path: str, token: str, body: str, timestamp: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), string_to_sign(method, path, token, body, timestamp).encode("utf-8"), hashlib.sha512)
    return base64.b64encode(mac.digest()).decode("ascii")


def hmac_valid(signature: str, secret: str, method: str, path: str, token: str, body: str, timestamp: str) -> bool:
    expected = hmac_signature(secret, method, path, token, body, timestamp)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))


def token_string(client_key: str, timestamp: str) -> bytes:
    return f"{client_key}|{timestamp}".encode("utf-8")


def rsa_signature(private_key: rsa.RSAPrivateKey, client_key: str, timestamp: str) -> str:
    raw = private_key.sign(token_string(client_key, timestamp), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode("ascii")


def rsa_valid(public_key: rsa.RSAPublicKey, signature: str, client_key: str, timestamp: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, token_string(client_key, timestamp), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def format_timestamp(moment: datetime) -> str:
    """``2026-12-04T10:15:30+07:00``: whole seconds (truncated), in WIB."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: every time must carry its zone")
    return moment.astimezone(WIB).replace(microsecond=0).isoformat()


def parse_timestamp(text: str) -> datetime:
    """A zone-aware datetime from an X-TIMESTAMP; ValueError if it has no offset or a bad shape."""
    if not _TIMESTAMP.match(text):
        raise ValueError(f"X-TIMESTAMP must look like 2026-12-04T10:15:30+07:00, got {text[:40]!r}")
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
