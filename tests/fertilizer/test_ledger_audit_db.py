"""Price changes and erasures recorded in the ledger's audit log through the ready-made sink."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from fertilizer.audit import AuditSink
from fertilizer.farmers import erase_farmer
from fertilizer.ledger_audit import LedgerAuditSink, ledger_audit_sink
from fertilizer.price_admin import set_price
from tests.fertilizer.helpers import NIK_WOMAN
from tests.fertilizer.world import NOW, World, admin_entries


def test_the_sink_satisfies_the_protocol() -> None:
    sink: AuditSink = ledger_audit_sink()
    assert isinstance(sink, LedgerAuditSink)


def test_a_price_change_becomes_an_admin_entry(world: World) -> None:
    later = datetime(2027, 1, 1, tzinfo=timezone.utc)
    with world.sessions.begin() as s:
        set_price(s, ledger_audit_sink(), product_code="SP36", price_per_kg=1_920, effective_from=later,
                  basis="Kepmentan (contoh)", actor="admin", now=NOW)
    with world.sessions() as s:
        [entry] = admin_entries(s, "fertilizer.het_price_set")
    assert entry == {"kind": "het_price_set", "actor": "admin", "at": NOW.isoformat(), "subject": "SP36",
                     "price_per_kg": "1920", "effective_from": later.isoformat(), "basis": "Kepmentan (contoh)"}


def test_an_erasure_becomes_an_admin_entry_without_personal_data(world: World) -> None:
    with world.sessions.begin() as s:
        erase_farmer(s, world.keys, ledger_audit_sink(), world.woman.pseudonym, actor="admin", now=NOW,
                     reason="permintaan petani")
    with world.sessions() as s:
        [entry] = admin_entries(s, "fertilizer.farmer_erased")
    assert entry["subject"] == world.woman.pseudonym and entry["reason"] == "permintaan petani"
    assert NIK_WOMAN not in str(entry) and "Suriani" not in str(entry)


def test_a_rolled_back_change_leaves_no_entry(world: World) -> None:
    with pytest.raises(RuntimeError), world.sessions.begin() as s:
        set_price(s, ledger_audit_sink(), product_code="UREA", price_per_kg=1_700, effective_from=NOW, basis="x",
                  actor="admin", now=NOW)
        raise RuntimeError("the caller fails after the change")
    with world.sessions() as s:
        assert admin_entries(s, "fertilizer.het_price_set") == []
