from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fertilizer.clock import WITA
from fertilizer.errors import PriceError
from fertilizer.price_admin import load_price_list, set_price
from fertilizer.prices import SEEDED
from tests.fertilizer.helpers import RecordingAudit

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=timezone.utc)


def test_migration_seeds_both_domain_lists(engine: sa.Engine) -> None:
    with Session(engine) as s:
        assert load_price_list(s) == SEEDED


def test_price_change_is_recorded_and_audited(engine: sa.Engine) -> None:
    audit = RecordingAudit()
    start = datetime(2027, 1, 1, tzinfo=WITA)
    with Session(engine) as s, s.begin():
        entry = set_price(s, audit, product_code="SP36", price_per_kg=1_920, effective_from=start,
                          basis="Kepmentan (contoh) HET SP-36", actor="admin", now=NOW)
    assert entry.price_per_kg == 1_920
    with Session(engine) as s:
        prices = load_price_list(s)
    assert prices.in_force("SP36", start - timedelta(seconds=1)) is None
    assert prices.in_force("SP36", start) == 1_920
    [action] = audit.actions
    assert action.kind == "het_price_set" and action.subject == "SP36"
    assert action.payload()["price_per_kg"] == "1920" and action.payload()["effective_from"] == start.isoformat()
    assert action.canonical() == action.canonical() and b" " not in action.canonical().split(b'"basis"')[0]


def test_withdrawing_a_product_from_sale(engine: sa.Engine) -> None:
    audit = RecordingAudit()
    with Session(engine) as s, s.begin():
        set_price(s, audit, product_code="ZA", price_per_kg=None, effective_from=NOW, basis="ditarik", actor="admin", now=NOW)
    with Session(engine) as s:
        assert load_price_list(s).in_force("ZA", NOW) is None
    assert audit.actions[0].payload()["price_per_kg"] == "not_for_sale"


@pytest.mark.parametrize("changes,code", [
    ({"effective_from": NOW - timedelta(seconds=1)}, "retroactive_price"),
    ({"price_per_kg": 0}, "bad_price"),
    ({"basis": "  "}, "price_basis_missing"),
    ({"product_code": "KCL"}, "unknown_product"),
])
def test_refused_changes_write_nothing(engine: sa.Engine, changes: dict[str, object], code: str) -> None:
    audit = RecordingAudit()
    args: dict[str, object] = {"product_code": "UREA", "price_per_kg": 1_700, "effective_from": NOW,
                               "basis": "x", "actor": "admin", "now": NOW, **changes}
    with Session(engine) as s, s.begin():
        with pytest.raises(Exception) as err:
            set_price(s, audit, **args)  # type: ignore[arg-type]
        assert getattr(err.value, "code", None) == code
        assert isinstance(err.value, PriceError) or code == "unknown_product"
    assert audit.actions == []
    with Session(engine) as s:
        assert load_price_list(s) == SEEDED
