from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from fertilizer.catalogue import HET_SEED, PRODUCT_CODES, product
from fertilizer.clock import WITA
from fertilizer.errors import CatalogueError
from fertilizer.prices import SEEDED, PriceEntry, PriceList

NEW_LIST = datetime(2025, 10, 22, 0, 0, tzinfo=WITA)
OLD = {"UREA": 2250, "NPK": 2300, "NPK_FK": 3300, "ZA": 1700, "SP36": 2400, "ORGANIC": 800}
NEW = {"UREA": 1800, "NPK": 1840, "NPK_FK": 2640, "ZA": 1360, "SP36": None, "ORGANIC": 640}


def test_catalogue() -> None:
    assert PRODUCT_CODES == ("UREA", "NPK", "NPK_FK", "ZA", "SP36", "ORGANIC")
    assert [product(c).sack_kg for c in PRODUCT_CODES] == [50, 50, 50, 50, 50, 40]
    with pytest.raises(CatalogueError) as err:
        product("KCL")
    assert err.value.code == "unknown_product"


def test_both_domain_lists_are_seeded() -> None:
    assert len(HET_SEED) == 12
    just_before = NEW_LIST - timedelta(microseconds=1)
    assert SEEDED.table_at(just_before) == OLD
    assert SEEDED.table_at(NEW_LIST) == NEW


def test_new_list_starts_at_wita_midnight() -> None:
    # 21 Oct 2025 16:00 UTC is 22 Oct 00:00 WITA
    assert SEEDED.in_force("UREA", datetime(2025, 10, 21, 15, 59, 59, tzinfo=timezone.utc)) == 2250
    assert SEEDED.in_force("UREA", datetime(2025, 10, 21, 16, 0, tzinfo=timezone.utc)) == 1800


def test_sp36_is_not_for_sale_under_the_new_list() -> None:
    assert SEEDED.in_force("SP36", datetime(2026, 6, 1, tzinfo=WITA)) is None
    entry = SEEDED.entry_in_force("SP36", datetime(2026, 6, 1, tzinfo=WITA))
    assert entry is not None and "belum terbit" in entry.basis


def test_nothing_before_the_first_list() -> None:
    assert SEEDED.in_force("UREA", datetime(2019, 1, 1, tzinfo=WITA)) is None


def test_later_decision_for_the_same_instant_wins() -> None:
    at = datetime(2027, 1, 1, tzinfo=WITA)
    first = PriceEntry("UREA", at, 1900, datetime(2026, 12, 1, tzinfo=WITA))
    correction = PriceEntry("UREA", at, 1850, datetime(2026, 12, 2, tzinfo=WITA))
    prices = PriceList.of([*SEEDED.entries, correction, first])
    assert prices.in_force("UREA", at) == 1850
    assert prices.in_force("UREA", at - timedelta(seconds=1)) == 1800


@pytest.mark.parametrize("price", [0, -5, 1800.0, True])
def test_prices_are_whole_positive_rupiah(price: object) -> None:
    with pytest.raises(CatalogueError):
        PriceEntry("UREA", NEW_LIST, price, NEW_LIST)  # type: ignore[arg-type]
