"""Admin changes as audit entries, and reading entries back (DESIGN §5).

Other packages record their admin changes (HET prices, quotas, stock, users) with
``append_entry(session, "fertilizer.price_set", {...})`` in the same transaction as the change;
the audit log seals these rows with the ledger's own entries.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger import store
from ledger.entries import admin_entry
from ledger.ids import new_id
from ledger.model import check_time
from ledger.schema import entries


@dataclass(frozen=True, slots=True)
class EntryRecord:
    id: uuid.UUID
    kind: str
    journal_id: uuid.UUID | None
    body: bytes
    created_at: datetime


def append_entry(session: Session, kind: str, payload: Mapping[str, Any], *, now: datetime | None = None) -> EntryRecord:
    """Record an admin change: ``kind`` is ``<package>.<event>``; ``payload`` is a JSON object of
    strings, integers, booleans, nulls, lists and objects (no floats; times as ``rfc3339``)."""
    at = check_time("now", now) if now is not None else datetime.now(UTC)
    entry_id = new_id(at)
    body = admin_entry(entry_id, kind, at, payload)
    store.write_entry(session.connection(), kind, at, body, entry_id=entry_id)
    store.log.info("event=entry_appended kind=%s entry=%s", kind, entry_id)
    return EntryRecord(entry_id, kind, None, body, at)


def journal_entries(session: Session, journal_id: uuid.UUID) -> list[EntryRecord]:
    """The entries of one journal's state changes, in order (for receipts and auditors)."""
    rows = session.connection().execute(
        sa.select(entries).where(entries.c.journal_id == journal_id).order_by(entries.c.created_at, entries.c.id)
    )
    return [EntryRecord(r.id, r.kind, r.journal_id, bytes(r.body), r.created_at) for r in rows]
