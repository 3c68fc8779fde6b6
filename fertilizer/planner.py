"""The RDKK import planner, pure: (quotas now, rows of the new RDKK) -> delta allocations.

A re-import never rewrites a journal: it adds quota-allocation journals for the difference
(DESIGN §9). For each (farmer, product) of the new file the delta is ``new - allocated``; zero
deltas produce nothing. When the file is the complete RDKK of its scope (``complete=True``),
allocations missing from it go to zero. A new allocation below what the farmer already redeemed
cannot be honoured (the quota account would go below zero): it is a :class:`Conflict`, and the
importer writes nothing while any conflict remains.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from fertilizer.errors import FertilizerError

QuotaKey = tuple[str, str]  # (farmer pseudonym, product code)


@dataclass(frozen=True)
class QuotaPosition:
    allocated: int  # kg credited so far this season
    redeemed: int  # kg already taken (posted or pending)


@dataclass(frozen=True)
class Allocation:
    farmer: str
    product: str
    kg: int


@dataclass(frozen=True)
class Delta:
    farmer: str
    product: str
    kg: int  # > 0 credits the quota, < 0 takes unredeemed quota back


@dataclass(frozen=True)
class Conflict:
    farmer: str
    product: str
    wanted: int
    redeemed: int


def plan_allocations(current: Mapping[QuotaKey, QuotaPosition], wanted: Iterable[Allocation], *,
                     complete: bool) -> Iterator[Delta | Conflict]:
    """Stream the deltas (and conflicts) that turn ``current`` into ``wanted``."""
    touched: set[QuotaKey] = set()
    for a in wanted:
        key = (a.farmer, a.product)
        if key in touched or a.kg < 0:
            raise FertilizerError("bad_allocation", "Alokasi ganda atau negatif untuk petani dan produk yang sama.",
                                  "A repeated or negative allocation for the same farmer and product.", product=a.product)
        touched.add(key)
        yield from _one(key, current.get(key, QuotaPosition(0, 0)), a.kg)
    if complete:
        for key in sorted(current.keys() - touched):
            yield from _one(key, current[key], 0)


def _one(key: QuotaKey, now: QuotaPosition, kg: int) -> Iterator[Delta | Conflict]:
    if kg < now.redeemed:
        yield Conflict(key[0], key[1], kg, now.redeemed)
    elif kg != now.allocated:
        yield Delta(key[0], key[1], kg - now.allocated)
