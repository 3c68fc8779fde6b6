"""Small ledgers in the domain's own notation, shared by the ledger tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

import ledger as L

T = TypeVar("T")
WITA = timezone(timedelta(hours=8), "WITA")
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=WITA)  # 02:00 UTC
UREA, NPK = L.kg_asset("UREA"), L.kg_asset("NPK")
D = L.Limit.DEBITS_MUST_NOT_EXCEED_CREDITS
C = L.Limit.CREDITS_MUST_NOT_EXCEED_DEBITS
N = L.Limit.NONE
TABLES = ("ledger_accounts", "ledger_journals", "ledger_legs", "ledger_sink_deltas", "ledger_entries")


def tx(sessions: sessionmaker[Session], fn: Callable[[Session], T]) -> T:
    """``fn`` in one committed transaction (the caller owns the session, as the kiosk will)."""
    with sessions() as s, s.begin():
        return fn(s)


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one() for t in TABLES}


def open_(s: Session, key: str, asset: str = L.IDR, limit: L.Limit = N, kind: str = "test") -> uuid.UUID:
    return L.open_account(s, key=key, kind=kind, asset=asset, limit=limit, now=NOW).id


def spec(key: str, *legs: tuple[uuid.UUID, uuid.UUID, str, int], kind: L.JournalKind = L.JournalKind.ADJUSTMENT,
         **kw: object) -> L.JournalSpec:
    return L.JournalSpec(key, kind, [L.Leg(d, c, a, m) for d, c, a, m in legs], **kw)  # type: ignore[arg-type]


class Kiosk:
    """One kiosk's accounts, a farmer's card and quotas, and their funding source."""

    def __init__(self, s: Session, card_funds: int = 100_000, quota_kg: int = 100, stock_kg: int = 500) -> None:
        self.src = open_(s, "src:idr")
        self.src_urea = open_(s, "src:urea", UREA)
        self.card = open_(s, "card:F1", L.IDR, D, "card")
        self.quota = open_(s, "quota:F1:UREA:2026-MT1", UREA, D, "quota")
        self.stock = open_(s, "stock:K1:UREA", UREA, D, "stock")
        self.sales = open_(s, "sales:K1")
        self.redeemed = open_(s, "redeemed:UREA", UREA)
        self.sold = open_(s, "sold:K1:UREA", UREA)
        self.bpjs = open_(s, "bpjs:collection")
        L.submit(s, spec("fund", (self.src, self.card, L.IDR, card_funds), (self.src_urea, self.quota, UREA, quota_kg),
                         (self.src_urea, self.stock, UREA, stock_kg), kind=L.JournalKind.TOPUP), now=NOW)

    def redemption(self, key: str, kg: int, rp: int, **kw: object) -> L.JournalSpec:
        return spec(key, (self.card, self.sales, L.IDR, rp), (self.quota, self.redeemed, UREA, kg),
                    (self.stock, self.sold, UREA, kg), kind=L.JournalKind.REDEMPTION, kiosk="KIOS-001",
                    farmer="F-ABCDEFGHJKLM", **kw)
