"""The stock receipt page (/admin/stock) on both backends, CSRF on: a delivery becomes one
stock-receipt journal; a replayed DO changes nothing; bad input is refused next to its field and
changes nothing; a supervisor records deliveries only at the kiosk they are bound to."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

import fertilizer
from kiosk.db import get_db
from kiosk.i18n import now_wita
from kiosk.models import Role
from tests.admin.data_fixtures import as_role, counts, data_app, english, field_errors, post_form, text  # noqa: F401

PAGE = "/admin/stock"


def _receipt(**change: str) -> dict[str, str]:
    return {"kiosk": "KIOS-002", "product": "UREA", "kg": "5000", "delivery_order": "do-2026-0001",
            "delivered_on": now_wita().date().isoformat(), **change}


def _stock(app: Flask, outlet: str) -> dict[str, int]:
    with app.app_context(), get_db().sessions() as s:
        return fertilizer.stock_left(s, outlet)


def test_admin_records_a_delivery_once(data_app: Flask) -> None:
    admin = as_role(data_app, Role.ADMIN)
    before = counts(data_app)
    done = post_form(admin, PAGE, PAGE, _receipt())
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/stock?kiosk=KIOS-002")
    page = text(admin.get(done.headers["Location"]))
    assert "DO-2026-0001" in page and "5.000 kg" in page
    assert _stock(data_app, "KIOS-002") == {"UREA": 5000}
    after = counts(data_app)
    assert after["journals"] == before["journals"] + 1

    again = post_form(admin, PAGE, PAGE, _receipt(delivery_order="DO-2026-0001"))
    assert again.status_code == 302
    assert "sudah tercatat" in text(admin.get(again.headers["Location"]))
    assert counts(data_app) == after and _stock(data_app, "KIOS-002") == {"UREA": 5000}


def test_a_reused_delivery_order_is_refused_next_to_its_field(data_app: Flask) -> None:
    admin = as_role(data_app, Role.ADMIN)
    assert post_form(admin, PAGE, PAGE, _receipt()).status_code == 302
    before = counts(data_app)
    refused = post_form(admin, PAGE, PAGE, _receipt(kg="4000"))
    assert refused.status_code == 422
    assert "DO-2026-0001 sudah dicatat" in field_errors(refused, "delivery_order")
    assert counts(data_app) == before and _stock(data_app, "KIOS-002") == {"UREA": 5000}


def test_bad_input_is_refused_next_to_the_field_and_changes_nothing(data_app: Flask) -> None:
    admin = as_role(data_app, Role.ADMIN)
    tomorrow = (now_wita().date() + timedelta(days=1)).isoformat()
    cases = [
        ({"kg": "0"}, "kg", "lebih dari 0"), ({"kg": "1.5"}, "kg", "lebih dari 0"), ({"kg": "abc"}, "kg", "lebih dari 0"),
        ({"kg": ""}, "kg", "lebih dari 0"), ({"delivered_on": tomorrow}, "delivered_on", "setelah hari ini"),
        ({"delivered_on": "31-12-2026"}, "delivered_on", "YYYY-MM-DD"), ({"delivery_order": ""}, "delivery_order", "nomor DO"),
        ({"delivery_order": "DO 1 !"}, "delivery_order", "Nomor DO: 1-64"), ({"product": "GOLD"}, "product", "produk"),
        ({"kiosk": "KIOS-003"}, "kiosk", "kios"),  # inactive: not offered
        ({"kiosk": "KIOS-NOPE"}, "kiosk", "kios"), ({"kg": "9" * 16}, "kg", "bilangan bulat"),
    ]
    before = counts(data_app)
    for change, name, words in cases:
        refused = post_form(admin, PAGE, PAGE, _receipt(**change))
        assert refused.status_code == 422, change
        assert words.lower() in field_errors(refused, name).lower(), (change, field_errors(refused, name))
    assert counts(data_app) == before and _stock(data_app, "KIOS-002") == {}


def test_errors_in_english_when_chosen(data_app: Flask) -> None:
    admin = as_role(data_app, Role.ADMIN)
    english(admin)
    refused = post_form(admin, PAGE, PAGE, _receipt(kg="-3"))
    assert refused.status_code == 422
    assert "Enter whole kilograms, more than 0" in field_errors(refused, "kg")


def test_a_supervisor_receives_only_at_their_own_kiosk(data_app: Flask) -> None:
    supervisor = as_role(data_app, Role.SUPERVISOR, kiosk="KIOS-001")
    page = text(supervisor.get(PAGE))
    assert 'value="KIOS-001"' in page and 'value="KIOS-002"' not in page
    elsewhere = post_form(supervisor, PAGE, PAGE, _receipt())
    assert elsewhere.status_code == 422 and "kios" in field_errors(elsewhere, "kiosk").lower()
    assert _stock(data_app, "KIOS-002") == {}
    own = post_form(supervisor, PAGE, PAGE, _receipt(kiosk="KIOS-001", product="NPK", kg="1200"))
    assert own.status_code == 302
    assert _stock(data_app, "KIOS-001") == {"NPK": 1200}


def test_a_supervisor_without_a_kiosk_records_nothing(data_app: Flask) -> None:
    supervisor = as_role(data_app, Role.SUPERVISOR)
    page = supervisor.get(PAGE)
    assert page.status_code == 200 and "belum ditetapkan" in text(page)
    before = counts(data_app)
    assert post_form(supervisor, PAGE, PAGE, _receipt()).status_code == 422
    assert counts(data_app) == before


def test_a_post_without_the_csrf_token_is_refused(data_app: Flask) -> None:
    admin = as_role(data_app, Role.ADMIN)
    before = counts(data_app)
    refused = admin.post(PAGE, data=_receipt())
    assert refused.status_code == 400 and "kedaluwarsa atau tidak sah" in text(refused)
    assert counts(data_app) == before
