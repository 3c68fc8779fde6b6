"""The audit sink the kiosk passes to price changes and erasures: the ledger's audit log.

``set_price(session, ledger_audit_sink(), ...)`` and ``erase_farmer(session, keys,
ledger_audit_sink(), ...)`` then append ``fertilizer.het_price_set`` / ``fertilizer.farmer_erased``
entries (``ledger.append_entry``) in the caller's transaction, so the change and its entry commit
or roll back together, and the worker seals them into the Merkle log (DESIGN §5).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

import ledger
from fertilizer.audit import AdminAction

ENTRY_PREFIX = "fertilizer."


class LedgerAuditSink:
    """An :class:`~fertilizer.audit.AuditSink` writing :meth:`AdminAction.payload` as an admin entry."""

    def record(self, session: Session, action: AdminAction) -> None:
        ledger.append_entry(session, ENTRY_PREFIX + action.kind, action.payload(), now=action.at)


def ledger_audit_sink() -> LedgerAuditSink:
    """The ready-made sink (stateless: one per process is enough)."""
    return LedgerAuditSink()
