"""Quota positions and quota-allocation journals, shared by the RDKK import and admin allocation.

Services take a ``Session`` and never commit. A farmer's quota change in a season is **one**
``quota_allocation`` journal (one leg per product whose allocation changes: ``rdkk -> quota`` for
more, ``quota -> rdkk`` for less) with the idempotency key ``alloc:<season>:<pseudonym>:r<n>``,
``n`` being the farmer's allocation-change count in that season (``farmer_seasons.revision``).
The key names the revision rather than the target kg so that a quota going 170 -> 200 -> 170
is three journals, not a conflict with the first; two concurrent writers that both saw revision
``n - 1`` collide on the key (the ledger replays the same change, refuses another), so neither a
quota nor ``farmer_quotas.allocated_kg`` can drift from the journals.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

import ledger
from fertilizer import chart
from fertilizer.bulk import insert_many
from fertilizer.errors import QuotaError
from fertilizer.planner import Allocation, Conflict, Delta, QuotaKey, QuotaPosition, plan_allocations
from fertilizer.schema import FarmerQuota, FarmerSeason

_CHUNK = 500
_SEASONS = cast(sa.Table, FarmerSeason.__table__)
_QUOTAS = cast(sa.Table, FarmerQuota.__table__)


@dataclass
class Positions:
    """What a set of farmers holds in one season (read before planning)."""

    quotas: dict[QuotaKey, QuotaPosition] = field(default_factory=dict)
    accounts: dict[QuotaKey, uuid.UUID] = field(default_factory=dict)
    revisions: dict[str, int] = field(default_factory=dict)  # listed farmers only


@dataclass(frozen=True)
class FarmerPlan:
    pseudonym: str
    listed: bool  # already in farmer_seasons for the season
    revision: int  # allocation changes so far
    deltas: tuple[Delta, ...]


@dataclass
class WriteStats:
    journals: int = 0
    accounts_opened: int = 0
    farmers_listed: int = 0
    kg: dict[str, int] = field(default_factory=lambda: dict.fromkeys(chart.CODES, 0))


def _in_chunks(values: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield list(values[start : start + _CHUNK])


def load_positions(session: Session, season: str, wanted: Mapping[str, Mapping[str, int]]) -> Positions:
    """What the farmers of ``wanted`` (pseudonym -> product -> new kg) hold in ``season``.

    ``redeemed`` (pending sales counted) is read from the ledger only for the quotas that
    ``wanted`` lowers: only there can it refuse a change. Elsewhere it is left 0 (a quota that
    stays or grows never conflicts), which spares a balance read per account on re-imports.
    """
    out = Positions()
    names = sorted(wanted)
    allocated: dict[QuotaKey, int] = {}
    conn = session.connection()
    for part in _in_chunks(names):
        for p, rev in conn.execute(_REVISIONS, {"season": season, "names": part}):
            out.revisions[p] = rev
        for p, code, account_id, kg in conn.execute(_ALLOCATED, {"season": season, "names": part}):
            out.accounts[(p, code)] = account_id
            allocated[(p, code)] = kg
    lowered = [key for key, kg in allocated.items() if wanted[key[0]].get(key[1], 0) < kg]
    left = ledger.balances(session, [out.accounts[key] for key in lowered]) if lowered else {}
    for key, kg in allocated.items():
        account_id = out.accounts[key]
        redeemed = kg - (left[account_id].available or 0) if account_id in left else 0
        out.quotas[key] = QuotaPosition(kg, redeemed)
    return out


_REVISIONS = sa.select(FarmerSeason.pseudonym, FarmerSeason.revision).where(
    FarmerSeason.season == sa.bindparam("season"), FarmerSeason.pseudonym.in_(sa.bindparam("names", expanding=True)))
_ALLOCATED = sa.select(FarmerQuota.pseudonym, FarmerQuota.product, FarmerQuota.account_id, FarmerQuota.allocated_kg).where(
    FarmerQuota.season == sa.bindparam("season"), FarmerQuota.pseudonym.in_(sa.bindparam("names", expanding=True)))


def plan(positions: Positions, wanted: Mapping[str, Mapping[str, int]]) -> tuple[list[FarmerPlan], list[Conflict]]:
    """Per farmer (``wanted``: pseudonym -> product -> new kg), the deltas to write, or conflicts
    (a new allocation below what the farmer already redeemed). A product the farmer never had and
    still wants 0 kg of needs no planning."""
    held = positions.quotas
    allocations = [Allocation(p, code, kg) for p, kgs in wanted.items() for code, kg in kgs.items()
                   if kg or (p, code) in held]
    deltas: dict[str, list[Delta]] = {p: [] for p in wanted}
    conflicts: list[Conflict] = []
    for item in plan_allocations(held, allocations, complete=False):
        if isinstance(item, Conflict):
            conflicts.append(item)
        else:
            deltas[item.farmer].append(item)
    plans = [FarmerPlan(p, p in positions.revisions, positions.revisions.get(p, 0), tuple(ds)) for p, ds in deltas.items()]
    return plans, conflicts


class Writer:
    """Writes planned changes for one season; keeps the season's source accounts it opened."""

    def __init__(self, session: Session, season: str, *, now: datetime, memo: Mapping[str, str]) -> None:
        self.session, self.season, self.now, self.memo = session, chart.check_season(season), now, dict(memo)
        self.sources: dict[str, uuid.UUID] = {}
        self.stats = WriteStats()

    def write(self, plans: Sequence[FarmerPlan], positions: Positions) -> list[ledger.JournalResult]:
        """Open the quota accounts needed, submit one journal per changed farmer (one batch), and
        record the new allocations and revisions."""
        accounts = dict(positions.accounts)
        accounts.update(self._open_quotas(plans, accounts))
        self._open_sources({d.product for p in plans for d in p.deltas})
        specs = [self._journal(p, accounts, positions) for p in plans if p.deltas]
        results = self._submit(specs) if specs else []
        self._record(plans, accounts, positions)
        self.stats.journals += len(specs)
        return results

    def _open_quotas(self, plans: Sequence[FarmerPlan], have: Mapping[QuotaKey, uuid.UUID]) -> dict[QuotaKey, uuid.UUID]:
        specs = [chart.quota_spec(p.pseudonym, d.product, self.season) for p in plans for d in p.deltas
                 if (p.pseudonym, d.product) not in have]
        opened = ledger.open_accounts(self.session, specs, now=self.now) if specs else []
        self.stats.accounts_opened += len(opened)
        return {(a.owner or "", a.key.split(":")[2]): a.id for a in opened}

    def _open_sources(self, products: set[str]) -> None:
        missing = sorted(products - set(self.sources))
        if missing:
            opened = ledger.open_accounts(self.session, [chart.source_spec(c, self.season) for c in missing], now=self.now)
            self.sources.update(zip(missing, (a.id for a in opened)))

    def _journal(self, p: FarmerPlan, accounts: Mapping[QuotaKey, uuid.UUID], positions: Positions) -> ledger.JournalSpec:
        legs, targets = [], []
        for d in p.deltas:
            quota, source, asset = accounts[(p.pseudonym, d.product)], self.sources[d.product], ledger.kg_asset(d.product)
            legs.append(ledger.Leg(source, quota, asset, d.kg) if d.kg > 0 else ledger.Leg(quota, source, asset, -d.kg))
            before = positions.quotas.get((p.pseudonym, d.product), QuotaPosition(0, 0)).allocated
            targets.append(f"{d.product}={before + d.kg}")
            self.stats.kg[d.product] += d.kg
        memo = {**self.memo, "season": self.season, "targets": ";".join(targets)}
        return ledger.JournalSpec(chart.allocation_key(self.season, p.pseudonym, p.revision + 1),
                                  ledger.JournalKind.QUOTA_ALLOCATION, legs, farmer=p.pseudonym, memo=memo)

    def _submit(self, specs: list[ledger.JournalSpec]) -> list[ledger.JournalResult]:
        try:
            return ledger.submit_batch(self.session, specs, now=self.now)
        except ledger.BatchRefused as exc:
            farmer = specs[exc.index].farmer
            if isinstance(exc.cause, ledger.LimitExceeded):
                raise QuotaError("quota_below_redeemed", "Kuota baru lebih kecil dari yang sudah ditebus petani.",
                                 "A new quota is below what the farmer already redeemed.", pseudonym=farmer) from exc
            if isinstance(exc.cause, ledger.IdempotencyConflict):
                raise _concurrent(farmer) from exc
            raise
        except ledger.ConcurrentSubmission as exc:
            raise _concurrent(None) from exc

    def _record(self, plans: Sequence[FarmerPlan], accounts: Mapping[QuotaKey, uuid.UUID], positions: Positions) -> None:
        conn, now = self.session.connection(), self.now
        new = [{"pseudonym": p.pseudonym, "season": self.season, "revision": 1 if p.deltas else 0, "updated_at": now}
               for p in plans if not p.listed]
        bumped = [{"b_p": p.pseudonym, "b_s": self.season, "b_rev": p.revision + 1, "b_at": now}
                  for p in plans if p.listed and p.deltas]
        quota_new, quota_changed = [], []
        for p in plans:
            for d in p.deltas:
                key = (p.pseudonym, d.product)
                before = positions.quotas.get(key)
                if before is None:
                    quota_new.append({"pseudonym": p.pseudonym, "season": self.season, "product": d.product,
                                      "account_id": accounts[key], "allocated_kg": d.kg})
                else:
                    quota_changed.append({"b_p": p.pseudonym, "b_s": self.season, "b_c": d.product,
                                          "b_kg": before.allocated + d.kg})
        insert_many(conn, _SEASONS, new)
        _execute(conn, _BUMP, bumped)
        insert_many(conn, _QUOTAS, quota_new)
        _execute(conn, _SET_KG, quota_changed)
        self.stats.farmers_listed += len(new)


_BUMP = _SEASONS.update().where(_SEASONS.c.pseudonym == sa.bindparam("b_p"), _SEASONS.c.season == sa.bindparam("b_s")) \
    .values(revision=sa.bindparam("b_rev"), updated_at=sa.bindparam("b_at"))
_SET_KG = _QUOTAS.update().where(_QUOTAS.c.pseudonym == sa.bindparam("b_p"), _QUOTAS.c.season == sa.bindparam("b_s"),
                                 _QUOTAS.c.product == sa.bindparam("b_c")).values(allocated_kg=sa.bindparam("b_kg"))


def _execute(conn: sa.Connection, statement: sa.Executable, rows: list[dict[str, object]]) -> None:
    for start in range(0, len(rows), 5_000):
        conn.execute(statement, rows[start : start + 5_000])


def _concurrent(pseudonym: str | None) -> QuotaError:
    return QuotaError("concurrent_allocation",
                      "Kuota petani ini diubah oleh proses lain pada saat yang sama; ulangi impor atau perubahan.",
                      "Another process changed these quotas at the same time; run the import or change again.",
                      pseudonym=pseudonym)
