"""Audit entries and their canonical byte encoding (DESIGN §5; docs/audit-entry-encoding.md). Pure.

Every journal state change, every account opened or closed and every admin change recorded by
another package becomes one entry: a row of ``ledger_entries`` whose ``body`` is the canonical
encoding of a JSON object. The audit log (``ledger.audit``) hashes these bytes as Merkle leaves, so
they must never depend on Python version, database or dict order:

* JSON (RFC 8259), UTF-8, no insignificant whitespace, object members sorted by key;
* keys are printable ASCII, so sorting by code point equals RFC 8785's UTF-16 order;
* values: objects, arrays, strings, ``true``/``false``/``null`` and integers with
  ``|n| <= 2**53 - 1`` (I-JSON, RFC 7493 §2.2); no floats; no lone surrogates;
* strings escape only ``"``, ``\\`` and U+0000..U+001F (``\\b \\t \\n \\f \\r`` short, others
  ``\\u00xx`` lowercase); everything else is raw UTF-8;
* times are RFC 3339 UTC strings with exactly six fractional digits: ``2026-12-04T04:05:06.000000Z``;
  UUIDs are lowercase hyphenated (RFC 9562 §4).

For these values the bytes equal RFC 8785 (JSON Canonicalization Scheme) output.
"""

from __future__ import annotations

import enum
import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ledger.errors import InvalidInput
from ledger.model import Account, Journal

ENTRY_VERSION = 1
MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 32
_ADMIN_KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}\.[a-z][a-z0-9_]{0,63}$")
RESERVED_NAMESPACES = ("journal", "account", "ledger")


class EntryKind(enum.StrEnum):
    """The ledger's own entry kinds. Other packages use ``<package>.<event>`` (``append_entry``)."""

    JOURNAL_SUBMITTED = "journal.submitted"
    JOURNAL_POSTED = "journal.posted"
    JOURNAL_VOIDED = "journal.voided"
    JOURNAL_EXPIRED = "journal.expired"
    ACCOUNT_OPENED = "account.opened"
    ACCOUNT_CLOSED = "account.closed"


def _bad(problem_id: str, problem_en: str) -> InvalidInput:
    return InvalidInput("entry", problem_id, problem_en)


def _check(value: object, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _bad(f"bersarang lebih dari {MAX_DEPTH}", f"nested deeper than {MAX_DEPTH}")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise _bad("bilangan di luar 2^53-1", "integer beyond 2^53-1")
        return
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _bad("teks bukan Unicode yang sah", "text is not valid Unicode") from None
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check(item, depth + 1)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str) or not key or not key.isascii() or not key.isprintable():
                raise _bad(f"kunci {key!r} bukan ASCII tercetak", f"key {key!r} is not printable ASCII")
            _check(item, depth + 1)
        return
    raise _bad(f"jenis {type(value).__name__} tidak boleh", f"type {type(value).__name__} is not allowed")


def canonical(value: object) -> bytes:
    """The canonical bytes of a JSON value (see the module docstring)."""
    _check(value, 0)
    return _encode(value)


def _encode(value: object) -> bytes:
    # For the checked value set, the C encoder's output is exactly the documented form: sorted
    # keys, "," and ":" separators, and the short escape table of RFC 8785 §3.2.2.2. Values built
    # here from validated domain objects (ledger.model) skip the check; external payloads do not.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def encode_validated(value: object) -> bytes:
    """``canonical`` for values built from already validated domain objects (no re-check)."""
    return _encode(value)


def decode(body: bytes) -> dict[str, Any]:
    """Parse an entry body, refusing anything that is not in canonical form."""
    try:
        value = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad("bukan JSON UTF-8", f"not UTF-8 JSON ({exc})") from None
    if not isinstance(value, dict) or canonical(value) != body:
        raise _bad("bukan bentuk kanonis", "not in canonical form")
    return value


def rfc3339(at: datetime) -> str:
    """``at`` in UTC, RFC 3339, six fractional digits, ``Z``."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput("at", "waktu harus membawa zona waktu", "a time must carry its zone")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _optional_time(at: datetime | None) -> str | None:
    return None if at is None else rfc3339(at)


def journal_object(journal: Journal) -> dict[str, Any]:
    return {
        "id": str(journal.id),
        "idempotency_key": journal.idempotency_key,
        "kind": journal.kind.value,
        "state": journal.state.value,
        "kiosk": journal.kiosk,
        "farmer": journal.farmer,
        "remote_ref": journal.remote_ref,
        "memo": dict(journal.memo),
        "legs": [
            {"debit": str(leg.debit), "credit": str(leg.credit), "asset": leg.asset, "amount": leg.amount}
            for leg in journal.legs
        ],
        "created_at": rfc3339(journal.created_at),
        "expires_at": _optional_time(journal.expires_at),
        "finalized_at": _optional_time(journal.finalized_at),
        "reason": journal.reason,
    }


def account_object(account: Account) -> dict[str, Any]:
    return {
        "id": str(account.id),
        "key": account.key,
        "kind": account.kind,
        "asset": account.asset,
        "limit": account.limit.value,
        "owner": account.owner,
        "created_at": rfc3339(account.created_at),
        "closed_at": _optional_time(account.closed_at),
    }


def _envelope(entry_id: uuid.UUID, kind: str, at: datetime, name: str, content: object) -> bytes:
    return _encode({"v": ENTRY_VERSION, "id": str(entry_id), "kind": kind, "at": rfc3339(at), name: content})


def journal_entry(entry_id: uuid.UUID, kind: EntryKind, at: datetime, journal: Journal) -> bytes:
    """The body of a journal state change: the whole journal as it stands after the change."""
    if not kind.value.startswith("journal."):
        raise ValueError(f"not a journal entry kind: {kind}")
    return _envelope(entry_id, kind.value, at, "journal", journal_object(journal))


def account_entry(entry_id: uuid.UUID, kind: EntryKind, at: datetime, account: Account) -> bytes:
    if not kind.value.startswith("account."):
        raise ValueError(f"not an account entry kind: {kind}")
    return _envelope(entry_id, kind.value, at, "account", account_object(account))


def check_admin_kind(kind: object) -> str:
    """``<package>.<event>``, lowercase, outside the ledger's reserved namespaces."""
    if not isinstance(kind, str) or not _ADMIN_KIND_RE.match(kind) or kind.split(".")[0] in RESERVED_NAMESPACES:
        raise InvalidInput(
            "kind",
            "harus <paket>.<kejadian> huruf kecil, bukan journal./account./ledger.",
            "must be <package>.<event> in lowercase, outside journal./account./ledger.",
        )
    return kind


def admin_entry(entry_id: uuid.UUID, kind: str, at: datetime, payload: Mapping[str, Any]) -> bytes:
    """The body of an admin change (prices, quotas, users, ...) recorded by another package."""
    check_admin_kind(kind)
    if not isinstance(payload, Mapping):
        raise _bad("muatan harus objek", "the payload must be an object")
    _check(payload, 1)
    return _envelope(entry_id, kind, at, "payload", dict(payload))
