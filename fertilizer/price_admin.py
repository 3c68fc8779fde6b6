"""HET prices in the database: read the list, and change it as an audited admin action.

Services take a ``Session`` and never commit. History is never rewritten: a change adds a row that
takes effect now or later; a price can never be changed for sales already made.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fertilizer.audit import AdminAction, AuditSink
from fertilizer.catalogue import product
from fertilizer.clock import require_aware
from fertilizer.errors import CatalogueError, PriceError
from fertilizer.prices import PriceEntry, PriceList
from fertilizer.schema import HetPrice

log = logging.getLogger("fertilizer.prices")


def load_price_list(session: Session) -> PriceList:
    rows = session.scalars(sa.select(HetPrice))
    return PriceList.of(PriceEntry(r.product, r.effective_from, r.price_per_kg, r.set_at, r.basis) for r in rows)


def set_price(session: Session, audit: AuditSink, *, product_code: str, price_per_kg: int | None,
              effective_from: datetime, basis: str, actor: str, now: datetime) -> PriceEntry:
    """Record an HET decision (``price_per_kg`` None: not for sale) and its audit entry.

    Refused: an unknown product, a price that is not whole rupiah > 0, an ``effective_from`` before
    ``now`` (sales already made keep their price), an empty basis (the regulation or reason).
    """
    require_aware(now, "now")
    require_aware(effective_from, "effective_from")
    product(product_code)
    if effective_from < now:
        raise PriceError(
            "retroactive_price",
            "HET tidak dapat diubah untuk waktu yang sudah lewat.",
            "An HET cannot take effect in the past.",
            product=product_code, effective_from=effective_from.isoformat(),
        )
    if not basis.strip():
        raise PriceError("price_basis_missing", "Sebutkan dasar perubahan HET (peraturan).",
                         "Give the basis of the HET change (the regulation).", product=product_code)
    try:
        entry = PriceEntry(product_code, effective_from, price_per_kg, now, basis.strip())
    except CatalogueError as exc:
        raise PriceError(exc.code, exc.message_id, exc.message_en, product=product_code) from None
    session.add(HetPrice(id=uuid.uuid4(), product=product_code, effective_from=effective_from, price_per_kg=price_per_kg,
                         basis=entry.basis, set_by=actor, set_at=now))
    audit.record(session, AdminAction(
        "het_price_set", actor, now, product_code,
        (("price_per_kg", "not_for_sale" if price_per_kg is None else str(price_per_kg)),
         ("effective_from", effective_from.isoformat()), ("basis", entry.basis)),
    ))
    session.flush()
    log.info("event=het_price_set product=%s price_per_kg=%s effective_from=%s actor=%s",
             product_code, price_per_kg, effective_from.isoformat(), actor)
    return entry
