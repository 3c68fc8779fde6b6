"""One chunk of valid RDKK rows against the registry and the ledger: checked (reads only) or
written (register, re-place, allocate). Used by :mod:`fertilizer.rdkk_import`."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fertilizer import chart
from fertilizer.allocations import FarmerPlan, Positions, Writer, load_positions, plan
from fertilizer.errors import QuotaError
from fertilizer.farmers import NewFarmer, register_farmers
from fertilizer.keystore import KeyStore
from fertilizer.nik import SOPPENG, mask_nik
from fertilizer.planner import Conflict
from fertilizer.rdkk import KG_COLUMNS, RdkkRow, RowProblem
from fertilizer.schema import Farmer
from fertilizer.vault import nik_lookup_hash

_FARMERS = cast(sa.Table, Farmer.__table__)
_LOOKUP = sa.select(Farmer.id, Farmer.pseudonym, Farmer.nik_hash, Farmer.group_code, Farmer.village_code,
                    Farmer.kecamatan_code, Farmer.land_m2).where(Farmer.nik_hash.in_(sa.bindparam("hashes", expanding=True)))
_PLACE = _FARMERS.update().where(_FARMERS.c.id == sa.bindparam("b_id")).values(
    group_code=sa.bindparam("b_group"), village_code=sa.bindparam("b_village"),
    kecamatan_code=sa.bindparam("b_kec"), land_m2=sa.bindparam("b_land"))


@dataclass
class ChunkStats:
    farmers_new: int = 0
    farmers_moved: int = 0
    farmers_changed: int = 0
    farmers_listed: int = 0  # not yet in this season's RDKK (new farmers included)
    kg: dict[str, int] = field(default_factory=lambda: dict.fromkeys(chart.CODES, 0))

    def count_plans(self, plans: Sequence[FarmerPlan]) -> None:
        for p in plans:
            self.farmers_changed += bool(p.deltas)
            self.farmers_listed += not p.listed
            for d in p.deltas:
                self.kg[d.product] += d.kg


@dataclass
class CheckedChunk:
    stats: ChunkStats
    problems: list[RowProblem]


@dataclass(frozen=True)
class Known:
    """A registered (not erased) farmer found by the keyed hash of their NIK."""

    id: uuid.UUID
    pseudonym: str
    placement: tuple[str, str, str, int]  # group, village, kecamatan, land m²


def _placement(row: RdkkRow) -> tuple[str, str, str, int]:
    return row.group_code, row.village_code, row.kecamatan_code, row.land_m2


def find_registered(session: Session, hashes: Sequence[str]) -> dict[str, Known]:
    """Registered farmers by NIK lookup hash (erased farmers have none and are never found)."""
    found: dict[str, Known] = {}
    conn = session.connection()
    for start in range(0, len(hashes), 500):
        for r in conn.execute(_LOOKUP, {"hashes": list(hashes[start : start + 500])}):
            found[r.nik_hash] = Known(r.id, r.pseudonym, (r.group_code, r.village_code, r.kecamatan_code, r.land_m2))
    return found


def _conflict_problem(row: RdkkRow, c: Conflict) -> RowProblem:
    nik = mask_nik(row.nik)
    return RowProblem(
        row.line, KG_COLUMNS[c.product], "quota_below_redeemed",
        f"NIK {nik}: kuota {c.product} {c.wanted} kg lebih kecil dari {c.redeemed} kg yang sudah ditebus.",
        f"NIK {nik}: a {c.product} quota of {c.wanted} kg is below the {c.redeemed} kg already redeemed.",
    )


def _existing(rows: Sequence[RdkkRow], hashes: Sequence[str], known: Mapping[str, Known],
              stats: ChunkStats) -> tuple[dict[str, dict[str, int]], dict[str, RdkkRow], list[tuple[Known, RdkkRow]]]:
    wanted: dict[str, dict[str, int]] = {}
    row_of: dict[str, RdkkRow] = {}
    moved: list[tuple[Known, RdkkRow]] = []
    for row, h in zip(rows, hashes):
        k = known.get(h)
        if k is None:
            continue
        wanted[k.pseudonym], row_of[k.pseudonym] = dict(row.kg), row
        if k.placement != _placement(row):
            moved.append((k, row))
    stats.farmers_moved += len(moved)
    return wanted, row_of, moved


def check_chunk(session: Session, lookup_key: bytes, season: str, rows: Sequence[RdkkRow]) -> CheckedChunk:
    """Plan the chunk against the current registry and quotas without writing anything."""
    stats = ChunkStats()
    hashes = [nik_lookup_hash(lookup_key, r.nik) for r in rows]
    known = find_registered(session, hashes)
    wanted, row_of, _ = _existing(rows, hashes, known, stats)
    for row, h in zip(rows, hashes):
        if h not in known:
            stats.farmers_new += 1
            stats.farmers_listed += 1
            stats.farmers_changed += any(kg for _, kg in row.kg)
            for code, kg in row.kg:
                stats.kg[code] += kg
    plans, conflicts = plan(load_positions(session, season, wanted), wanted)
    stats.count_plans(plans)
    return CheckedChunk(stats, [_conflict_problem(row_of[c.farmer], c) for c in conflicts])


def write_chunk(session: Session, keys: KeyStore, writer: Writer, rows: Sequence[RdkkRow], *, now: datetime,
                nik_regions: Collection[str] = (SOPPENG,)) -> ChunkStats:
    """Register the chunk's new farmers, re-place moved ones and write the quota changes."""
    stats = ChunkStats()
    hashes = [nik_lookup_hash(keys.lookup_key(), r.nik) for r in rows]
    known = find_registered(session, hashes)
    wanted, row_of, moved = _existing(rows, hashes, known, stats)
    positions = load_positions(session, writer.season, wanted) if wanted else Positions()
    fresh = [r for r, h in zip(rows, hashes) if h not in known]
    if fresh:
        records = register_farmers(session, keys, [NewFarmer(r.nik, r.name, r.birth_date, *_placement(r)) for r in fresh],
                                   now=now, nik_regions=nik_regions)
        for record, row in zip(records, fresh):
            wanted[record.pseudonym], row_of[record.pseudonym] = dict(row.kg), row
        stats.farmers_new += len(records)
    if moved:
        session.connection().execute(_PLACE, [
            {"b_id": k.id, "b_group": r.group_code, "b_village": r.village_code, "b_kec": r.kecamatan_code, "b_land": r.land_m2}
            for k, r in moved])
    plans, conflicts = plan(positions, wanted)
    for c in conflicts:  # a sale landed between the check and the write pass
        raise QuotaError("quota_below_redeemed", _conflict_problem(row_of[c.farmer], c).message_id,
                         _conflict_problem(row_of[c.farmer], c).message_en, line=row_of[c.farmer].line, product=c.product)
    writer.write(plans, positions)
    stats.count_plans(plans)
    return stats
