"""The HET price list (/admin/prices) on both backends, CSRF on: current, scheduled and superseded
entries; a new entry through ``set_price`` with its audit entry; nonsense refused next to its field."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask

import fertilizer
from fertilizer.clock import wita_midnight
from kiosk.db import get_db
from kiosk.i18n import now_wita
from kiosk.models import Role
from ledger.schema import entries
from tests.admin.data_fixtures import as_role, counts, data_app, english, field_errors, post_form, text  # noqa: F401

PAGE = "/admin/prices"


def _entry(**change: str) -> dict[str, str]:
    later = (now_wita().date() + timedelta(days=10)).isoformat()
    return {"product": "SP36", "price": "1920", "effective_on": later, "basis": "Kepmentan 1117/2025 lampiran", **change}


def _prices(app: Flask) -> fertilizer.PriceList:
    with app.app_context(), get_db().sessions() as s:
        return fertilizer.load_price_list(s)


def _audit(app: Flask) -> list[dict[str, str]]:
    with app.app_context(), get_db().sessions() as s:
        rows = s.execute(sa.select(entries.c.body).where(entries.c.kind == "fertilizer.het_price_set")).scalars()
        return [json.loads(bytes(b))["payload"] for b in rows]


def test_the_list_shows_the_price_in_force_and_history(data_app: Flask) -> None:
    page = as_role(data_app, Role.DINAS).get(PAGE)
    html = text(page)
    assert page.status_code == 200
    assert "Rp 1.800" in html and "Rp 2.250" in html  # Urea now, and the old list
    assert "berlaku" in html and "digantikan" in html and "tidak dijual" in html  # SP-36 from 22 Oct 2025


def test_a_future_price_is_recorded_with_its_audit_entry(data_app: Flask) -> None:
    admin = as_role(data_app, Role.ADMIN)
    done = post_form(admin, PAGE, PAGE, _entry())
    assert done.status_code == 302
    day = now_wita().date() + timedelta(days=10)
    prices = _prices(data_app)
    assert prices.in_force("SP36", wita_midnight(day)) == 1920
    assert prices.in_force("SP36", datetime.now(UTC)) is None  # not yet
    [audit] = _audit(data_app)
    assert audit["subject"] == "SP36" and audit["price_per_kg"] == "1920" and audit["actor"].startswith("admin-")
    html = text(admin.get(PAGE))
    assert "Rp 1.920" in html and "terjadwal" in html and "HET SP-36 telah dicatat" in html


def test_a_price_from_today_takes_effect_now(data_app: Flask) -> None:
    before = datetime.now(UTC)
    dinas = as_role(data_app, Role.DINAS)
    assert post_form(dinas, PAGE, PAGE, _entry(product="UREA", price="1750",
                                               effective_on=now_wita().date().isoformat())).status_code == 302
    prices = _prices(data_app)
    assert prices.in_force("UREA", datetime.now(UTC)) == 1750
    assert prices.in_force("UREA", before - timedelta(seconds=1)) == 1800  # sales already made keep their price


def test_not_for_sale(data_app: Flask) -> None:
    admin = as_role(data_app, Role.ADMIN)
    day = now_wita().date() + timedelta(days=3)
    assert post_form(admin, PAGE, PAGE, _entry(product="ZA", price="", not_for_sale="y",
                                               effective_on=day.isoformat())).status_code == 302
    assert _prices(data_app).in_force("ZA", wita_midnight(day)) is None
    assert _audit(data_app)[0]["price_per_kg"] == "not_for_sale"


def test_nonsense_is_refused_next_to_the_field_and_changes_nothing(data_app: Flask) -> None:
    admin = as_role(data_app, Role.ADMIN)
    yesterday = (now_wita().date() - timedelta(days=1)).isoformat()
    cases = [
        ({"price": "0"}, "price", "lebih dari 0"), ({"price": "-5"}, "price", "lebih dari 0"),
        ({"price": "1800.50"}, "price", "rupiah bulat"), ({"price": "1,5"}, "price", "rupiah bulat"),
        ({"price": ""}, "price", "rupiah bulat"), ({"price": "2000000"}, "price", "1.000.000"),
        ({"not_for_sale": "y"}, "price", "Kosongkan harga"), ({"product": "GOLD"}, "product", "produk"),
        ({"effective_on": yesterday}, "effective_on", "berlaku mundur"), ({"effective_on": "soon"}, "effective_on", "YYYY"),
        ({"basis": "   "}, "basis", "dasar perubahan"), ({"basis": "x" * 201}, "basis", "200 karakter"),
    ]
    before = counts(data_app)
    for change, name, words in cases:
        refused = post_form(admin, PAGE, PAGE, _entry(**change))
        assert refused.status_code == 422, change
        assert words.lower() in field_errors(refused, name).lower(), (change, field_errors(refused, name))
    assert counts(data_app) == before and _audit(data_app) == []


def test_errors_in_english_when_chosen(data_app: Flask) -> None:
    dinas = as_role(data_app, Role.DINAS)
    english(dinas)
    refused = post_form(dinas, PAGE, PAGE, _entry(price="abc"))
    assert refused.status_code == 422 and "Enter whole rupiah per kg" in field_errors(refused, "price")


def test_a_post_without_the_csrf_token_is_refused(data_app: Flask) -> None:
    admin = as_role(data_app, Role.ADMIN)
    before = counts(data_app)
    assert admin.post(PAGE, data=_entry()).status_code == 400
    assert counts(data_app) == before
