"""Route rows of the money pages (kiosk/views/money_pages.py) for tests/security/test_routes.py."""

from kiosk.models import Role

O, S, AU, AD = Role.OPERATOR, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN

EXPECTED = {
    ("money_pages.topup", "GET"): frozenset({O, S}),
    ("money_pages.receipts", "GET"): frozenset({O, S}),
    ("money_pages.day", "GET"): frozenset({O, S}),
    ("money_pages.bpjs", "GET"): frozenset({S, AD, AU}),  # auditors read; the deposit and the forms are not shown
    ("money_pages.bank", "GET"): frozenset({S, AD}),
}
