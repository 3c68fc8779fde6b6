"""Sample receipts in the domain's own terms: one of each kind, as the checkout will hand them over."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from kiosk.receipts.model import (
    Contribution,
    ContributionReceipt,
    Farmer,
    Header,
    Kiosk,
    ProductLine,
    Proof,
    QuotaLeft,
    Receipt,
    ReversalReceipt,
    SaleReceipt,
    Tender,
    TopUpReceipt,
    YearMonth,
    as_copy,
)

KIOSK = Kiosk("KSP-LLB-001", "KIOS TANI SIPAKAINGE", "Jl. Poros Soppeng No. 12, Lalabata")
FARMER = Farmer("La Baco bin La Tenri", "7312********0001")
JOURNAL = uuid.UUID("0190f3a2-7c1e-7d2b-9a41-5e3f2b1c0d9e")
ENTRY_HASH = bytes.fromhex("5d41402abc4b2a76b9719d911017c592" "2c26b46b68ffc68ff99b453c1d304134")
AT = datetime(2026, 12, 4, 6, 5, 30, tzinfo=UTC)  # 14:05 WITA
HEADER = Header(KIOSK, AT, "Andi Mappe", FARMER, Proof(JOURNAL, ENTRY_HASH))
AGENT = "Hj. Sitti Aisyah"

SALE = SaleReceipt(
    HEADER,
    (ProductLine("Urea", 50, 1800), ProductLine("NPK formula khusus", 25, 2640)),
    Tender.CARD_BALANCE,
    Contribution("23071234567", 2, 16800, YearMonth(2026, 12)),
    AGENT,
    (QuotaLeft("Urea", 150), QuotaLeft("NPK formula khusus", 25)),
    balance_after=80400,
)
CONTRIBUTION = ContributionReceipt(HEADER, Contribution("23071234567", 1, 16800, YearMonth(2027, 1)), Tender.CASH, AGENT)
TOPUP = TopUpReceipt(HEADER, 100000, 150000)
REVERSAL = ReversalReceipt(
    HEADER,
    uuid.UUID("0190f3a2-0000-7d2b-9a41-5e3f2b1c0d9e"),
    "Hj. Nurhayati",
    "Salah jumlah kg; petani minta dibatalkan",
    (ProductLine("Urea", 50, 1800),),
    Tender.CARD_BALANCE,
    contribution_kept=33600,
    quota_left=(QuotaLeft("Urea", 200),),
    balance_after=170000,
)
COPY = as_copy(SALE)

SAMPLES: dict[str, Receipt] = {"sale": SALE, "contribution": CONTRIBUTION, "topup": TOPUP, "reversal": REVERSAL,
                               "copy": COPY}
