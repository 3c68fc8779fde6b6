"""A small Soppeng for the ledger-backed tests: two kecamatan, two outlets, two registered farmers,
and readers of what the ledger and the registry hold (counts, journals, entries)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

import ledger
from fertilizer.farmers import FarmerRecord, NewFarmer
from fertilizer.keystore import MemoryKeyStore
from fertilizer.registry_types import GroupRec, KecamatanRec, OutletRec, PenyuluhRec, ReferenceData, VillageRec
from fertilizer.schema import Farmer, FarmerQuota, FarmerSeason
from ledger import schema as ls
from tests.fertilizer.helpers import NIK_MAN, NIK_WOMAN

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=timezone.utc)  # 16:00 WITA, season 2027-MT1 (Oct 2026 - Jan 2027)
SEASON = "2027-MT1"
GROUP_A, VILLAGE_A = "KT-7312012001-01", "7312012001"  # Marioriwawo, outlet KIOS-001
GROUP_B, VILLAGE_B = "KT-7312042001-01", "7312042001"  # Lalabata, outlet KIOS-002
REF = ReferenceData(
    kecamatan=(KecamatanRec("731201", "Marioriwawo"), KecamatanRec("731204", "Lalabata")),
    villages=(VillageRec(VILLAGE_A, "Tellang", "731201"), VillageRec(VILLAGE_B, "Bila", "731204")),
    penyuluh=(PenyuluhRec("PPL-0001", "Hasnah Tahir", "731201"),),
    outlets=(OutletRec("KIOS-001", "Kios Tani Makmur", "731201"), OutletRec("KIOS-002", "Kios Subur Lalabata", "731204"),
             OutletRec("KIOS-003", "Kios Tutup", "731204", active=False)),
    groups=(GroupRec(GROUP_A, "Kelompok Tani Sipakainge I", VILLAGE_A, "PPL-0001", "KIOS-001"),
            GroupRec(GROUP_B, "Kelompok Tani Subur I", VILLAGE_B, "PPL-0001", "KIOS-002")),
)
MAN = NewFarmer(NIK_MAN, "Ridwan Saleh", date(1968, 10, 14), GROUP_A, VILLAGE_A, "731201", 8_500)
WOMAN = NewFarmer(NIK_WOMAN, "Suriani Basri", date(1973, 1, 13), GROUP_A, VILLAGE_A, "731201", 5_000)


def nik(serial: int, *, female: bool = False) -> str:
    """A Marioriwawo NIK of someone born 1 Jan 1970 (day + 40 for women)."""
    return f"731201{41 if female else 1:02d}0170{serial:04d}"


@dataclass
class World:
    sessions: sessionmaker[Session]
    keys: MemoryKeyStore
    man: FarmerRecord
    woman: FarmerRecord


def count(session: Session, table: Any, *where: Any) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(table).where(*where)) or 0)


def snapshot(session: Session) -> dict[str, int]:
    """Row counts of everything an import or a receipt may write."""
    return {
        "farmers": count(session, Farmer), "farmer_seasons": count(session, FarmerSeason),
        "farmer_quotas": count(session, FarmerQuota), "accounts": count(session, ls.accounts),
        "journals": count(session, ls.journals), "legs": count(session, ls.legs), "entries": count(session, ls.entries),
    }


def admin_entries(session: Session, kind: str) -> list[dict[str, Any]]:
    """The payloads of the admin entries of ``kind`` (oldest first)."""
    rows = session.execute(sa.select(ls.entries.c.body).where(ls.entries.c.kind == kind)
                           .order_by(ls.entries.c.created_at, ls.entries.c.id)).scalars()
    return [json.loads(bytes(body))["payload"] for body in rows]


def journals_of(session: Session, farmer: str) -> list[ledger.Journal]:
    ids = session.execute(sa.select(ls.journals.c.id).where(ls.journals.c.farmer == farmer)
                          .order_by(ls.journals.c.created_at, ls.journals.c.id)).scalars()
    return [j for j in (ledger.journal(session, i) for i in ids) if j is not None]


def stock_up(world: World, kg: int, *, product: str = "UREA", outlet: str = "KIOS-001", do: str | None = None) -> None:
    from fertilizer.stock import receive_stock

    with world.sessions.begin() as s:
        receive_stock(s, outlet_code=outlet, product_code=product, kg=kg, delivery_order=do or f"DO-{outlet}-{product}-{kg}",
                      delivered_on=date(2026, 12, 1), now=NOW)


def sell(world: World, farmer: str, lines: dict[str, int], *, key: str, outlet: str = "KIOS-001",
         pending: bool = False) -> ledger.JournalResult:
    """A redemption journal with only the kilogram legs (the checkout adds the money legs)."""
    from fertilizer.redemption import redemption_legs

    with world.sessions.begin() as s:
        legs = redemption_legs(s, pseudonym=farmer, season=SEASON, outlet_code=outlet, lines=lines, now=NOW)
        spec = ledger.JournalSpec(key, ledger.JournalKind.REDEMPTION, legs, kiosk=outlet, farmer=farmer, pending=pending)
        return ledger.submit(s, spec, now=NOW)
