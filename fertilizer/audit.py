"""The seam between admin actions here and the ledger's audit log (DESIGN §5).

Every admin change this package makes (an HET decision, a farmer's erasure) is described by an
:class:`AdminAction` and handed, inside the caller's transaction, to an :class:`AuditSink`. The
kiosk passes a sink that appends the action to the ledger's Merkle-sealed audit log
(``ledger.append_entry``), so the change and its audit entry commit or roll back together. The
action's :meth:`AdminAction.payload` is what the entry carries; it names farmers only by pseudonym.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol

from sqlalchemy.orm import Session

from fertilizer.clock import require_aware


@dataclass(frozen=True)
class AdminAction:
    kind: str  # "het_price_set", "farmer_erased"
    actor: str  # who did it (username), never personal data of a farmer
    at: datetime
    subject: str  # a product code, a farmer pseudonym
    details: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        require_aware(self.at, "at")

    def payload(self) -> dict[str, str]:
        """A flat, JSON-able description (UTC timestamp, details as strings)."""
        return {
            "kind": self.kind,
            "actor": self.actor,
            "at": self.at.astimezone(timezone.utc).isoformat(),
            "subject": self.subject,
            **dict(self.details),
        }

    def canonical(self) -> bytes:
        """Deterministic bytes of the payload (sorted keys, no spaces, UTF-8)."""
        return json.dumps(self.payload(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class AuditSink(Protocol):
    def record(self, session: Session, action: AdminAction) -> None:
        """Append ``action`` to the audit trail within ``session``'s transaction (never commit)."""
        ...
