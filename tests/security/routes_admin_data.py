"""Route x role rows of the admin data pages (kiosk/views/admin_data.py; docs/admin.md).

Stock receipts: supervisor (at their own kiosk) and admin. Prices, RDKK and farmer erasure: dinas
and admin. The ``pseudonym`` path parameter already has its harmless value in test_routes.PARAMS.
"""

from __future__ import annotations

from kiosk.models import Role

STOCK = frozenset({Role.SUPERVISOR, Role.ADMIN})
DATA = frozenset({Role.DINAS, Role.ADMIN})

EXPECTED = {
    ("admin_data.stock", "GET"): STOCK,
    ("admin_data.stock", "POST"): STOCK,
    ("admin_data.prices", "GET"): DATA,
    ("admin_data.prices", "POST"): DATA,
    ("admin_data.rdkk", "GET"): DATA,
    ("admin_data.rdkk", "POST"): DATA,
    ("admin_data.farmers", "GET"): DATA,
    ("admin_data.farmers", "POST"): DATA,
    ("admin_data.farmer", "GET"): DATA,
    ("admin_data.erase", "POST"): DATA,
}
PARAMS: dict[str, object] = {}
