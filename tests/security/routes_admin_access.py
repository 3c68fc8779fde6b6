"""Route rows of the admin pages of users, tokens, kiosks, hotlist and keys (kiosk/views/admin_access.py)
for tests/security/test_routes.py. Supervisors may see the hotlist and add to it; all else is admin only."""

import uuid

from kiosk.models import Role

S, AD = Role.SUPERVISOR, Role.ADMIN
ADMIN = frozenset({AD})

EXPECTED = {
    ("admin_access.users", "GET"): ADMIN,
    ("admin_access.users", "POST"): ADMIN,
    ("admin_access.user", "GET"): ADMIN,
    ("admin_access.user_role", "POST"): ADMIN,
    ("admin_access.user_password", "POST"): ADMIN,
    ("admin_access.user_active", "POST"): ADMIN,
    ("admin_access.user_unlock", "POST"): ADMIN,
    ("admin_access.tokens", "GET"): ADMIN,
    ("admin_access.tokens", "POST"): ADMIN,
    ("admin_access.token_revoke", "POST"): ADMIN,
    ("admin_access.kiosks", "GET"): ADMIN,
    ("admin_access.kiosks", "POST"): ADMIN,
    ("admin_access.kiosk_rename", "POST"): ADMIN,
    ("admin_access.hotlist", "GET"): frozenset({S, AD}),
    ("admin_access.hotlist", "POST"): frozenset({S, AD}),
    ("admin_access.hotlist_remove", "POST"): ADMIN,
    ("admin_access.keys", "GET"): ADMIN,
    ("admin_access.issuer_add", "POST"): ADMIN,
    ("admin_access.issuer_retire", "POST"): ADMIN,
    ("admin_access.ledger_create", "POST"): ADMIN,
    ("admin_access.ledger_rotate", "POST"): ADMIN,
    ("admin_access.ledger_vkeys", "GET"): ADMIN,
    ("admin_access.bpjs_next", "POST"): ADMIN,
    ("admin_access.bpjs_public", "GET"): ADMIN,
}

PARAMS = {
    "username": lambda: "no-such-user",
    "token_id": lambda: str(uuid.uuid4()),
    "issuer": lambda: "NO-SUCH-ISSUER",
    "which": lambda: "next",
}
