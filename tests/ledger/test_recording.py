"""Admin changes recorded by other packages as audit entries (``append_entry``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

import ledger as L
from tests.ledger.helpers import NOW, counts, tx


def test_append_entry_writes_one_canonical_row(sessions: sessionmaker[Session], engine: sa.Engine) -> None:
    payload = {"product": "UREA", "het_rp_per_kg": 1800, "from": L.rfc3339(NOW - timedelta(days=43)), "by": "admin"}
    entry = tx(sessions, lambda s: L.append_entry(s, "fertilizer.price_set", payload, now=NOW))
    assert entry.kind == "fertilizer.price_set" and entry.journal_id is None and entry.created_at == NOW
    body = L.decode(entry.body)
    assert body == {"v": 1, "id": str(entry.id), "kind": "fertilizer.price_set", "at": "2026-12-04T02:00:00.000000Z",
                    "payload": payload}
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT kind, body FROM ledger_entries")).one()
    assert stored.kind == "fertilizer.price_set" and bytes(stored.body) == entry.body


@pytest.mark.parametrize(("kind", "payload"), [
    ("journal.posted", {}), ("price_set", {}), ("fertilizer.price_set", {"het": 1800.5}),
    ("fertilizer.price_set", {"key": b"bytes"}), ("fertilizer.price_set", ["not", "an", "object"]),
])
def test_append_entry_refuses_bad_input_and_writes_nothing(sessions: sessionmaker[Session], engine: sa.Engine,
                                                           kind: str, payload: object) -> None:
    before = counts(engine)
    with pytest.raises(L.InvalidInput):
        tx(sessions, lambda s: L.append_entry(s, kind, payload, now=NOW))  # type: ignore[arg-type]
    assert counts(engine) == before


def test_sqlite_engines_run_wal_full_sync_and_foreign_keys(engine: sa.Engine, db_backend: str) -> None:
    with engine.connect() as conn:
        if db_backend == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        else:
            assert conn.exec_driver_sql("SHOW transaction_isolation").scalar() == "read committed"
