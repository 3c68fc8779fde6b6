"""Subsidized fertilizer products and the HET price lists of DOMAIN.md (STYLE habit 5: facts in tables).

HET (harga eceran tertinggi) is a *maximum* retail price in rupiah per kilogram. Two lists are seeded:

* until 21 Oct 2025 (the list in force before Kepmentan 1117/Kpts./SR.310/M/10/2025);
* from 22 Oct 2025 00:00 WITA, Kepmentan 1117/Kpts./SR.310/M/10/2025 (applies to stock already at
  the kiosk).

SP-36 has no published price in the new list. Because an HET is a ceiling, keeping the old
Rp 2,400 would risk charging above a lower ceiling that we cannot see; so from 22 Oct 2025 SP-36 is
**not for sale** (an entry with no price) until an admin enters the published HET with
:func:`fertilizer.price_admin.set_price`. The policy then refuses SP-36 with ``no_price``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from fertilizer.errors import CatalogueError


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    sack_kg: int


class ProductCode(enum.StrEnum):
    UREA = "UREA"
    NPK = "NPK"
    NPK_FK = "NPK_FK"
    ZA = "ZA"
    SP36 = "SP36"
    ORGANIC = "ORGANIC"


PRODUCTS: tuple[Product, ...] = (
    Product(ProductCode.UREA, "Urea", 50),
    Product(ProductCode.NPK, "NPK", 50),
    Product(ProductCode.NPK_FK, "NPK formula khusus", 50),
    Product(ProductCode.ZA, "ZA", 50),
    Product(ProductCode.SP36, "SP-36", 50),
    Product(ProductCode.ORGANIC, "Organik", 40),
)
PRODUCT_CODES: tuple[str, ...] = tuple(p.code for p in PRODUCTS)
_BY_CODE = {p.code: p for p in PRODUCTS}


def product(code: str) -> Product:
    """The product with that code, or :class:`CatalogueError`."""
    found = _BY_CODE.get(code)
    if found is None:
        raise CatalogueError(
            "unknown_product",
            f"Produk tidak dikenal: {code!r}. Pilihan: {', '.join(PRODUCT_CODES)}.",
            f"Unknown product {code!r}. Known: {', '.join(PRODUCT_CODES)}.",
            product=code,
        )
    return found


@dataclass(frozen=True)
class SeedPrice:
    """One line of a published HET list. ``price_per_kg`` None: not for sale from that day."""

    product: str
    effective_from: date  # a WITA calendar day; the price takes effect at 00:00 WITA
    price_per_kg: int | None
    basis: str


OLD_LIST_FROM = date(2021, 1, 1)  # in force well before the programme's first sale; ends 21 Oct 2025
NEW_LIST_FROM = date(2025, 10, 22)
OLD_BASIS = "HET sebelum Kepmentan 1117/Kpts./SR.310/M/10/2025 (DOMAIN.md)"
NEW_BASIS = "Kepmentan 1117/Kpts./SR.310/M/10/2025"
SP36_BASIS = "SP-36: HET baru belum terbit di sumber kami; tidak dijual sampai admin menetapkan HET"

HET_SEED: tuple[SeedPrice, ...] = (
    SeedPrice(ProductCode.UREA, OLD_LIST_FROM, 2_250, OLD_BASIS),
    SeedPrice(ProductCode.NPK, OLD_LIST_FROM, 2_300, OLD_BASIS),
    SeedPrice(ProductCode.NPK_FK, OLD_LIST_FROM, 3_300, OLD_BASIS),
    SeedPrice(ProductCode.ZA, OLD_LIST_FROM, 1_700, OLD_BASIS),
    SeedPrice(ProductCode.SP36, OLD_LIST_FROM, 2_400, OLD_BASIS),
    SeedPrice(ProductCode.ORGANIC, OLD_LIST_FROM, 800, OLD_BASIS),
    SeedPrice(ProductCode.UREA, NEW_LIST_FROM, 1_800, NEW_BASIS),
    SeedPrice(ProductCode.NPK, NEW_LIST_FROM, 1_840, NEW_BASIS),
    SeedPrice(ProductCode.NPK_FK, NEW_LIST_FROM, 2_640, NEW_BASIS),
    SeedPrice(ProductCode.ZA, NEW_LIST_FROM, 1_360, NEW_BASIS),
    SeedPrice(ProductCode.SP36, NEW_LIST_FROM, None, SP36_BASIS),
    SeedPrice(ProductCode.ORGANIC, NEW_LIST_FROM, 640, NEW_BASIS),
)
