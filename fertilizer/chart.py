"""The fertilizer side of the chart of accounts (DESIGN §4; docs/fertilizer.md, "Chart of accounts").

Kilograms of each product are their own asset (``KG:<PRODUCT>``). Two limited accounts carry the
invariants "never more than the quota" and "never more than the stock"; everything else is an
unlimited source or sink (the ledger keeps those without a hot row):

==================================  ==============  ======  ================  ==========================
key                                 kind            limit   owner             moved by
==================================  ==============  ======  ================  ==========================
``rdkk:<PRODUCT>:<season>``         rdkk_source     none    -                 quota_allocation (source)
``quota:<pseudonym>:<PRODUCT>:<s>`` farmer_quota    D<=C    farmer pseudonym  allocation credits; sale debits
``redeemed:<PRODUCT>:<season>``     quota_redeemed  none    -                 redemption (sink)
``supply:<outlet>:<PRODUCT>``       stock_supply    none    outlet code       stock_receipt (source)
``stock:<outlet>:<PRODUCT>``        kiosk_stock     D<=C    outlet code       receipt credits; sale debits
``sold:<outlet>:<PRODUCT>``         stock_sold      none    outlet code       redemption (sink)
==================================  ==============  ======  ================  ==========================

``D<=C`` is ``Limit.DEBITS_MUST_NOT_EXCEED_CREDITS`` with pending debits counted, so neither a
quota nor a stock can go below zero. Journal idempotency keys: ``alloc:<season>:<pseudonym>:r<n>``
(the farmer's n-th allocation change in that season) and ``stock_receipt:<DELIVERY-ORDER>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ledger import MAX_AMOUNT, AccountSpec, Limit, kg_asset

from fertilizer.catalogue import PRODUCT_CODES, product
from fertilizer.errors import FertilizerError
from fertilizer.seasons import SEASON_ID

LIMITED = Limit.DEBITS_MUST_NOT_EXCEED_CREDITS
QUOTA_KIND, SOURCE_KIND, REDEEMED_KIND = "farmer_quota", "rdkk_source", "quota_redeemed"
STOCK_KIND, SUPPLY_KIND, SOLD_KIND = "kiosk_stock", "stock_supply", "stock_sold"
CODES: tuple[str, ...] = tuple(str(code) for code in PRODUCT_CODES)  # plain strings, catalogue order
DELIVERY_ORDER = re.compile(r"^[A-Z0-9][A-Z0-9./_-]{0,63}$")


def check_season(season: str) -> str:
    """``season`` if it is a season id (``2027-MT1``), else a clear error."""
    if not isinstance(season, str) or not SEASON_ID.match(season):
        raise FertilizerError("bad_season_id", f"Kode musim tanam tidak sah: {season!r} (contoh: 2027-MT1).",
                              f"Not a season id: {season!r} (e.g. 2027-MT1).", season=str(season))
    return season


def check_kg(what: str, kg: object, *, allow_zero: bool = False) -> int:
    """Whole kilograms: an ``int`` (not bool) from 1 (or 0) to the ledger's maximum amount."""
    low = 0 if allow_zero else 1
    if type(kg) is not int or not low <= kg <= MAX_AMOUNT:
        raise FertilizerError("bad_kg", f"{what}: jumlah kg harus bilangan bulat {low} atau lebih, bukan {kg!r}.",
                              f"{what}: kilograms must be a whole number of {low} or more, not {kg!r}.", what=what)
    return kg


def check_lines(lines: Mapping[str, int]) -> dict[str, int]:
    """A sale's or reversal's ``{product: kg}``: known products, whole kg >= 1, in catalogue order."""
    if not isinstance(lines, Mapping) or not lines:
        raise FertilizerError("no_lines", "Pilih minimal satu produk dan jumlah kg.", "Pick at least one product and its kg.")
    for code in lines:
        product(code)
    return {code: check_kg(code, lines[code]) for code in CODES if code in lines}


def quota_key(pseudonym: str, product_code: str, season: str) -> str:
    return f"quota:{pseudonym}:{product_code}:{season}"


def quota_spec(pseudonym: str, product_code: str, season: str) -> AccountSpec:
    return AccountSpec(quota_key(pseudonym, product_code, season), QUOTA_KIND, kg_asset(product_code), LIMITED, pseudonym)


def source_spec(product_code: str, season: str) -> AccountSpec:
    return AccountSpec(f"rdkk:{product_code}:{season}", SOURCE_KIND, kg_asset(product_code), Limit.NONE)


def redeemed_spec(product_code: str, season: str) -> AccountSpec:
    return AccountSpec(f"redeemed:{product_code}:{season}", REDEEMED_KIND, kg_asset(product_code), Limit.NONE)


def stock_key(outlet_code: str, product_code: str) -> str:
    return f"stock:{outlet_code}:{product_code}"


def stock_spec(outlet_code: str, product_code: str) -> AccountSpec:
    return AccountSpec(stock_key(outlet_code, product_code), STOCK_KIND, kg_asset(product_code), LIMITED, outlet_code)


def supply_spec(outlet_code: str, product_code: str) -> AccountSpec:
    return AccountSpec(f"supply:{outlet_code}:{product_code}", SUPPLY_KIND, kg_asset(product_code), Limit.NONE, outlet_code)


def sold_spec(outlet_code: str, product_code: str) -> AccountSpec:
    return AccountSpec(f"sold:{outlet_code}:{product_code}", SOLD_KIND, kg_asset(product_code), Limit.NONE, outlet_code)


def allocation_key(season: str, pseudonym: str, revision: int) -> str:
    """The key of a farmer's ``revision``-th allocation change in ``season`` (see docs/fertilizer.md)."""
    return f"alloc:{season}:{pseudonym}:r{revision}"


def receipt_key(delivery_order: str) -> str:
    return f"stock_receipt:{delivery_order}"


def check_delivery_order(number: str) -> str:
    """A delivery order (DO) number, upper-cased: 1-64 of ``A-Z 0-9 . / _ -``."""
    value = number.strip().upper() if isinstance(number, str) else ""
    if not DELIVERY_ORDER.match(value):
        raise FertilizerError(
            "bad_delivery_order", "Nomor DO: 1-64 huruf, angka atau . / _ - (contoh: DO-2026-000123).",
            "Delivery order number: 1-64 letters, digits or . / _ - (e.g. DO-2026-000123).",
        )
    return value
