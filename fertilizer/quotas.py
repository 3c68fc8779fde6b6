"""Farmers' quotas in the ledger: what is left, which seasons a farmer is listed in, and admin
allocation outside an RDKK file. Services take a ``Session`` and never commit."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

import ledger
from fertilizer import chart
from fertilizer.allocations import Writer, load_positions, plan
from fertilizer.catalogue import product
from fertilizer.clock import require_aware
from fertilizer.errors import FarmerErased, FertilizerError, QuotaError
from fertilizer.farmers import by_pseudonym
from fertilizer.schema import FarmerQuota, FarmerSeason

log = logging.getLogger("fertilizer.quotas")


def quota_accounts(session: Session, pseudonym: str, season: str, products: Iterable[str] | None = None) -> dict[str, uuid.UUID]:
    """The farmer's quota account per product in ``season`` (products without one are absent)."""
    stmt = sa.select(FarmerQuota.product, FarmerQuota.account_id).where(
        FarmerQuota.pseudonym == pseudonym, FarmerQuota.season == chart.check_season(season))
    if products is not None:
        stmt = stmt.where(FarmerQuota.product.in_(list(products)))
    found = {code: account_id for code, account_id in session.execute(stmt)}
    return {code: found[code] for code in chart.CODES if code in found}


def quota_left(session: Session, pseudonym: str, season: str) -> dict[str, int]:
    """kg the farmer may still redeem per product in ``season``, pending sales counted; products
    without a quota account are absent."""
    accounts = quota_accounts(session, pseudonym, season)
    if not accounts:
        return {}
    left = ledger.balances(session, accounts.values())
    return {code: left[account_id].available or 0 for code, account_id in accounts.items()}


def quota_seasons(session: Session, pseudonym: str) -> frozenset[str]:
    """The seasons whose RDKK lists the farmer (``FarmerFacts.rdkk_seasons`` for the policy)."""
    return frozenset(session.scalars(sa.select(FarmerSeason.season).where(FarmerSeason.pseudonym == pseudonym)))


def _text(what: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200 or not value.isprintable():
        raise FertilizerError("bad_text", f"{what} wajib diisi (maks. 200 karakter).", f"{what} is required (at most 200 characters).",
                              what=what)
    return value.strip()


def allocate(session: Session, *, pseudonym: str, season: str, kg: Mapping[str, int], now: datetime, actor: str,
             reason: str) -> ledger.JournalResult | None:
    """Set a farmer's allocation for some products in ``season`` (an admin correction outside an
    RDKK file): one delta journal and an audit entry; None when nothing changes. A new allocation
    below what the farmer already redeemed is refused (``quota_below_redeemed``)."""
    require_aware(now, "now")
    chart.check_season(season)
    if not isinstance(kg, Mapping) or not kg:
        raise FertilizerError("no_lines", "Sebutkan minimal satu produk.", "Name at least one product.")
    wanted = {product(code).code: chart.check_kg(code, kg[code], allow_zero=True) for code in kg}
    actor, reason = _text("actor", actor), _text("reason", reason)
    if by_pseudonym(session, pseudonym).erased:
        raise FarmerErased("farmer_erased", "Petani ini sudah dihapus.", "This farmer was erased.", pseudonym=pseudonym)
    positions = load_positions(session, season, {pseudonym: wanted})
    plans, conflicts = plan(positions, {pseudonym: wanted})
    for c in conflicts:
        raise QuotaError("quota_below_redeemed",
                         f"Kuota {c.product} {c.wanted} kg lebih kecil dari {c.redeemed} kg yang sudah ditebus.",
                         f"A {c.product} quota of {c.wanted} kg is below the {c.redeemed} kg already redeemed.",
                         pseudonym=pseudonym, product=c.product, wanted=c.wanted, redeemed=c.redeemed)
    writer = Writer(session, season, now=now, memo={"source": "admin", "reason": reason})
    results = writer.write(plans, positions)
    ledger.append_entry(session, "fertilizer.quota_set", {
        "actor": actor, "farmer": pseudonym, "season": season, "reason": reason,
        "kg": {code: wanted[code] for code in sorted(wanted)},
        "journal_id": str(results[0].journal_id) if results else None,
    }, now=now)
    log.info("event=quota_set farmer=%s season=%s actor=%s changed=%d", pseudonym, season, actor, len(results))
    return results[0] if results else None
