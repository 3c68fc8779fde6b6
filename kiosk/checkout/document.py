"""The consent document: what the farmer agrees to with their PIN (DESIGN §1). Pure.

Once the operator's selection fixes the amounts, the checkout's canonical document is encoded with
the ledger's canonical JSON (docs/audit-entry-encoding.md) and the card signs
``challenge = SHA-256(document)[:16]`` in transaction mode. The document, the card's public key,
the ATC and the signature are kept with the journal, so anyone can later check the farmer's
consent to exactly these amounts.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ledger import canonical, rfc3339

CHALLENGE_BYTES = 16
DOCUMENT_VERSION = 1


@dataclass(frozen=True)
class DocumentLine:
    product: str
    kg: int
    price_per_kg: int
    amount: int


@dataclass(frozen=True)
class ConsentDocument:
    checkout_id: uuid.UUID
    journal_id: uuid.UUID
    kiosk: str
    card_number: str
    farmer: str
    at: datetime
    lines: Sequence[DocumentLine]
    contribution_months: Sequence[str]
    contribution: int
    kpj: str | None
    agent: str | None
    agent_fee: int
    tender: str

    @property
    def fertilizer_total(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def total(self) -> int:
        return self.fertilizer_total + self.contribution

    def encode(self) -> bytes:
        return canonical({
            "v": DOCUMENT_VERSION,
            "checkout": str(self.checkout_id),
            "journal": str(self.journal_id),
            "kiosk": self.kiosk,
            "card": self.card_number,
            "farmer": self.farmer,
            "at": rfc3339(self.at),
            "lines": [
                {"product": ln.product, "kg": ln.kg, "price_per_kg": ln.price_per_kg, "amount": ln.amount}
                for ln in self.lines
            ],
            "contribution": {"months": list(self.contribution_months), "amount": self.contribution, "kpj": self.kpj},
            "agent": {"penyuluh": self.agent, "fee": self.agent_fee},
            "tender": self.tender,
            "total": self.total,
        })


def challenge_of(document: bytes) -> bytes:
    return hashlib.sha256(document).digest()[:CHALLENGE_BYTES]
