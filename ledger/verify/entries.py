"""Decoding an entry's canonical bytes for the verifier: typed, strict, and canonical or refused.

The body is decoded into typed structs (msgspec: unknown members, missing members and wrong types are
refused) and encoded again with sorted keys; the bytes must come back identical. That proves the
body is the one canonical JSON text of its value (docs/audit-entry-encoding.md): no duplicate keys,
no whitespace, no other escapes, so every JSON parser reads the same entry from the sealed bytes.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ledger.audit.errors import LogVerificationError, Text


class Leg(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    amount: int
    asset: str
    credit: str
    debit: str


class JournalBody(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    created_at: str
    expires_at: str | None
    farmer: str | None
    finalized_at: str | None
    id: str
    idempotency_key: str
    kind: str
    kiosk: str | None
    legs: tuple[Leg, ...]
    memo: dict[str, str]
    reason: str | None
    remote_ref: str | None
    state: str


class AccountBody(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    asset: str
    closed_at: str | None
    created_at: str
    id: str
    key: str
    kind: str
    limit: str
    owner: str | None


class Entry(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, frozen=True):
    """An entry body; exactly one of ``account``, ``journal`` and ``payload`` is set (checked by the replay)."""

    at: str
    id: str
    kind: str
    v: int
    account: AccountBody | None = None
    journal: JournalBody | None = None
    payload: dict[str, Any] | None = None


_decoder = msgspec.json.Decoder(Entry)
_encoder = msgspec.json.Encoder(order="sorted")


def decode_entry(body: bytes, seq: int) -> Entry:
    """The entry in ``body``, which must be its canonical encoding; ``seq`` names it in errors."""
    try:
        entry = _decoder.decode(body)
    except msgspec.DecodeError as exc:  # ValidationError is a DecodeError
        detail = str(exc)[:200]
        raise LogVerificationError("entry_malformed", seq=seq, reason=Text(f"bukan entri yang sah ({detail})",
                                                                              f"not a valid entry ({detail})")) from None
    if _encoder.encode(entry) != body:
        raise LogVerificationError("entry_malformed", seq=seq, reason=Text("bukan bentuk kanonis", "not in canonical form"))
    return entry
