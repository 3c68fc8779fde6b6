"""The effective-dated HET list, pure (no database): which price is in force at an instant.

An entry takes effect at ``effective_from`` (an instant; lists are published per WITA day, see
:func:`fertilizer.clock.wita_midnight`). The price in force at ``at`` is the entry with the latest
``effective_from`` not after ``at``; when two entries share that instant, the later decision
(``set_at``) wins, so a correction never rewrites history. ``price_per_kg`` None means *not for sale*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from fertilizer.catalogue import HET_SEED, PRODUCT_CODES, product
from fertilizer.clock import require_aware, wita_midnight
from fertilizer.errors import CatalogueError

SEED_SET_AT = datetime(2025, 10, 21, 16, 0, tzinfo=timezone.utc)


@dataclass(frozen=True)
class PriceEntry:
    product: str
    effective_from: datetime
    price_per_kg: int | None
    set_at: datetime
    basis: str = ""

    def __post_init__(self) -> None:
        product(self.product)
        require_aware(self.effective_from, "effective_from")
        require_aware(self.set_at, "set_at")
        if self.price_per_kg is not None and (type(self.price_per_kg) is not int or self.price_per_kg <= 0):
            raise CatalogueError(
                "bad_price",
                f"HET harus bilangan bulat rupiah > 0, bukan {self.price_per_kg!r}.",
                f"An HET must be whole rupiah > 0, not {self.price_per_kg!r}.",
                product=self.product,
            )


@dataclass(frozen=True)
class PriceList:
    entries: tuple[PriceEntry, ...]

    @classmethod
    def of(cls, entries: Iterable[PriceEntry]) -> PriceList:
        return cls(tuple(sorted(entries, key=lambda e: (e.product, e.effective_from, e.set_at))))

    def entry_in_force(self, code: str, at: datetime) -> PriceEntry | None:
        product(code)
        require_aware(at, "at")
        best: PriceEntry | None = None
        for entry in self.entries:
            if entry.product == code and entry.effective_from <= at:
                best = entry  # entries are sorted: the last one that qualifies wins
        return best

    def in_force(self, code: str, at: datetime) -> int | None:
        """Rp/kg in force at ``at``, or None when the product is not for sale then."""
        entry = self.entry_in_force(code, at)
        return None if entry is None else entry.price_per_kg

    def table_at(self, at: datetime) -> Mapping[str, int | None]:
        """Every product's price in force at ``at`` (None: not for sale)."""
        return {code: self.in_force(code, at) for code in PRODUCT_CODES}


def seed_entries() -> tuple[PriceEntry, ...]:
    """DOMAIN.md's two HET lists as entries (what migration f0001 writes)."""
    return tuple(
        PriceEntry(s.product, wita_midnight(s.effective_from), s.price_per_kg, SEED_SET_AT, s.basis) for s in HET_SEED
    )


SEEDED = PriceList.of(seed_entries())
