"""The canonical byte encoding of audit entries (docs/audit-entry-encoding.md). Pure."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ledger as L
from ledger import entries as E

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit-entry-encoding.md"
WITA = timezone(timedelta(hours=8))


def reference_encode(value: Any) -> str:
    """An independent RFC 8785-style serializer for the allowed value set (no json module)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        short = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
        return '"' + "".join(short.get(ch, f"\\u{ord(ch):04x}" if ord(ch) < 0x20 else ch) for ch in value) + '"'
    if isinstance(value, list):
        return "[" + ",".join(reference_encode(v) for v in value) + "]"
    items = sorted(value.items(), key=lambda kv: [ord(c) for c in kv[0]])
    return "{" + ",".join(reference_encode(k) + ":" + reference_encode(v) for k, v in items) + "}"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(st.characters(exclude_categories=["Cs"]), max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_canonical_equals_the_reference_serializer_and_round_trips(value: Any) -> None:
    body = L.canonical(value)
    assert body == reference_encode(value).encode("utf-8")
    if isinstance(value, dict):
        assert E.decode(body) == value


def test_form() -> None:
    assert L.canonical({"b": 1, "a": [True, None, "é\n\u2028\x7f\x01"]}) == '{"a":[true,null,"é\\n\u2028\x7f\\u0001"],"b":1}'.encode()
    assert L.canonical({"Z": 0, "a": 0, "_": 0}) == b'{"Z":0,"_":0,"a":0}'  # code point order


@pytest.mark.parametrize("bad", [1.5, float("nan"), 2**53, -(2**53), {"ké": 1}, {1: 2}, {"": 1}, "\ud800", b"x",
                                 datetime(2026, 1, 1, tzinfo=UTC), uuid.uuid4(), {"a": {1.0}}])
def test_refuses_what_is_not_canonical_json(bad: object) -> None:
    with pytest.raises(L.InvalidInput):
        L.canonical(bad)


def test_nesting_is_bounded() -> None:
    deep: Any = 1
    for _ in range(40):
        deep = [deep]
    with pytest.raises(L.InvalidInput):
        L.canonical(deep)


@pytest.mark.parametrize("body", [b'{"a": 1}', b'{"b":1,"a":2}', b'{"a":1.0}', b'{"a":1,"a":1}', b"[1]", b"\xff", b'{"a":"\\u00e9"}'])
def test_decode_refuses_non_canonical_bodies(body: bytes) -> None:
    with pytest.raises(L.InvalidInput):
        E.decode(body)


def test_rfc3339_is_utc_with_six_digits() -> None:
    assert L.rfc3339(datetime(2026, 12, 4, 10, 0, tzinfo=WITA)) == "2026-12-04T02:00:00.000000Z"
    assert L.rfc3339(datetime(2026, 12, 4, 2, 0, 0, 7, tzinfo=UTC)) == "2026-12-04T02:00:00.000007Z"
    with pytest.raises(L.InvalidInput):
        L.rfc3339(datetime(2026, 12, 4))


def test_admin_kinds() -> None:
    assert E.check_admin_kind("fertilizer.price_set") == "fertilizer.price_set"
    for bad in ("price_set", "journal.posted", "account.opened", "ledger.x", "Fertilizer.x", "a.b.c", 5):
        with pytest.raises(L.InvalidInput):
            E.check_admin_kind(bad)
    with pytest.raises(L.InvalidInput):
        E.admin_entry(uuid.uuid4(), "kiosk.user_added", datetime.now(UTC), {"ratio": 0.5})


# ------------------------------------------------------------------ fixed vectors (documented)

ACC = [uuid.UUID(f"01932e5c-4a00-7{i:03x}-8000-00000000000{i}") for i in range(1, 7)]
JOURNAL_ID = uuid.UUID("01932e5c-4a10-7000-9000-0000000000aa")
AT = datetime(2026, 12, 4, 10, 0, 0, tzinfo=WITA)


def _journal(state: L.JournalState, reason: str | None, finalized: datetime | None) -> L.Journal:
    return L.Journal(
        id=JOURNAL_ID, idempotency_key="checkout:KIOS-001:000123", kind=L.JournalKind.REDEMPTION, state=state,
        legs=(L.Leg(ACC[0], ACC[1], "IDR", 106_800), L.Leg(ACC[2], ACC[3], "KG:UREA", 50),
              L.Leg(ACC[4], ACC[5], "IDR", 16_800)),
        kiosk="KIOS-001", farmer="F-7QK2M9XR4TBA", remote_ref="01932e5c-4a10-7000-9000-0000000000aa",
        memo=MappingProxyType({"het_urea": "1800"}), created_at=AT, expires_at=None, finalized_at=finalized, reason=reason,
    )


def vectors() -> list[tuple[str, bytes]]:
    """The documented test vectors, rebuilt from their inputs."""
    opened = L.Account(ACC[0], "card:F-7QK2M9XR4TBA", "card_balance", "IDR", L.Limit.DEBITS_MUST_NOT_EXCEED_CREDITS,
                       "F-7QK2M9XR4TBA", AT - timedelta(days=30), None)
    later = AT + timedelta(seconds=4, microseconds=250_000)
    return [
        ("journal.submitted", E.journal_entry(uuid.UUID("01932e5c-4a10-7001-8000-000000000001"), L.EntryKind.JOURNAL_SUBMITTED,
                                              AT, _journal(L.JournalState.PENDING, None, None))),
        ("journal.voided", E.journal_entry(uuid.UUID("01932e5c-5a00-7002-8000-000000000002"), L.EntryKind.JOURNAL_VOIDED, later,
                                           _journal(L.JournalState.VOIDED, 'BPJS: "ditolak" (5030114)\nrefused — café', later))),
        ("account.opened", E.account_entry(uuid.UUID("01932e5c-4a00-7003-8000-000000000003"), L.EntryKind.ACCOUNT_OPENED,
                                           AT - timedelta(days=30), opened)),
        ("fertilizer.price_set", E.admin_entry(uuid.UUID("01932e5c-4a00-7004-8000-000000000004"), "fertilizer.price_set", AT,
                                               {"product": "UREA", "het_rp_per_kg": 1800, "from": "2025-10-22",
                                                "source": "Kepmentan 1117/Kpts./SR.310/M/10/2025", "sack_kg": 50})),
    ]


def documented() -> dict[str, tuple[str, str]]:
    """(hex, sha256) per vector name, read from docs/audit-entry-encoding.md."""
    text = DOC.read_text(encoding="utf-8")
    out = {}
    for m in re.finditer(r"### Vector \d+: `([a-z_.]+)`.*?```hex\n(.*?)```.*?SHA-256: `([0-9a-f]{64})`", text, re.S):
        out[m.group(1)] = ("".join(m.group(2).split()), m.group(3))
    return out


def test_documented_vectors() -> None:
    docs = documented()
    built = vectors()
    assert set(docs) == {name for name, _ in built}
    for name, body in built:
        hex_text, digest = docs[name]
        assert body.hex() == hex_text, name
        assert hashlib.sha256(body).hexdigest() == digest, name
        assert E.decode(body)["kind"] == name
        assert body.decode("utf-8") in DOC.read_text(encoding="utf-8")  # the readable form is shown too


def test_vectors_cover_the_escapes_and_non_ascii() -> None:
    voided = dict(vectors())["journal.voided"]
    assert b'\\"ditolak\\"' in voided and b"\\n" in voided and "—".encode() in voided
    assert json.loads(voided)["journal"]["legs"][1] == {"amount": 50, "asset": "KG:UREA", "credit": str(ACC[3]), "debit": str(ACC[2])}
