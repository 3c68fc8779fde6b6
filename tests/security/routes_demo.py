"""Route x role rows of the demo control page (kiosk/views/demo.py): every person role may use it,
the device agent's token may not. Outside demo mode (as in the matrix's app) the admitted roles get
404 after the access check; in demo mode tests/ui/test_demo_page.py checks that they get the page."""

from __future__ import annotations

from kiosk.models import Role

PEOPLE = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.AUDITOR, Role.DINAS, Role.ADMIN})

EXPECTED = {
    ("demo.page", "GET"): PEOPLE,
    ("demo.state", "GET"): PEOPLE,
    ("demo.insert", "POST"): PEOPLE,
    ("demo.remove", "POST"): PEOPLE,
    ("demo.pinpad", "POST"): PEOPLE,
}
