"""The route x role matrix: every rule of the app's URL map, with every role and with none.

:data:`EXPECTED` is written by hand: for each endpoint and method, who is let in. The test walks the
real URL map, so a new route that is not in the table fails with its name (add it on purpose, with
the roles it should admit), and an entry whose route is gone fails too. People log in through the
login form (session cookie, CSRF token sent as a browser would); the device agent's role has only a
bearer token. Allowed -> neither 401 nor 403, and never a 5xx; forbidden -> 403; anonymous -> 401
envelope under /api, a redirect to the login page elsewhere. Path parameters get harmless values
(a random UUID, an unknown code), so an allowed role may well get 404 for a missing object.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from kiosk.models import Role
from tests.security.conftest import PEOPLE, add_token, csrf_token, person

O, S, AU, D, AD, AG = Role.OPERATOR, Role.SUPERVISOR, Role.AUDITOR, Role.DINAS, Role.ADMIN, Role.AGENT
ANYONE = "anyone"  # public: anonymous too
EVERY_ROLE = frozenset(Role)

# (endpoint, method) -> the roles let in, or ANYONE. Keep it in URL order; review every change.
EXPECTED: dict[tuple[str, str], frozenset[Role] | str] = {
    ("home.index", "GET"): EVERY_ROLE,
    ("home.healthz", "GET"): ANYONE,
    ("static", "GET"): ANYONE,
    ("auth.login", "GET"): ANYONE,
    ("auth.login", "POST"): ANYONE,
    ("auth.logout", "POST"): ANYONE,
    ("lang.switch", "POST"): ANYONE,
    ("operator.screen", "GET"): frozenset({O}),
    ("operator.farmer", "GET"): frozenset({O}),
    ("status.panel", "GET"): frozenset({O, S, AD}),
    ("supervisor.exceptions", "GET"): frozenset({S}),
    # /api/v1
    ("api.openapi", "GET"): ANYONE,
    ("api.audit_key", "GET"): frozenset({AU, D, S, AD}),
    ("api.audit_checkpoint", "GET"): frozenset({AU, D, S, AD}),
    ("api.audit_checkpoints", "GET"): frozenset({AU, D, S, AD}),
    ("api.audit_checkpoint_now", "POST"): frozenset({S, AD}),
    ("api.audit_inclusion", "GET"): frozenset({AU, D, S, AD}),
    ("api.audit_consistency", "GET"): frozenset({AU, D, S, AD}),
    ("api.card_events", "GET"): frozenset({O, S, AD}),
    ("api.device_status", "GET"): frozenset({O, S, AD}),
    ("api.start_checkout", "POST"): frozenset({O}),
    ("api.list_checkouts", "GET"): frozenset({O, S}),
    ("api.get_checkout", "GET"): frozenset({O, S}),
    ("api.confirm_checkout", "POST"): frozenset({O}),
    ("api.cancel_checkout", "POST"): frozenset({O, S}),
    ("api.reprint_checkout", "POST"): frozenset({O, S}),
    ("api.reverse_checkout", "POST"): frozenset({S}),
    ("api.exception_queue", "GET"): frozenset({S}),
    ("api.resolve_exception", "POST"): frozenset({S}),
    ("api.farmer_identity", "GET"): frozenset({D, AD}),
    ("api.create_topup", "POST"): frozenset({O, S}),
    ("api.import_bank", "POST"): frozenset({S, AD}),
    ("api.create_deposit", "POST"): frozenset({S, AD}),
    ("api.get_deposit", "GET"): frozenset({O, S, AD}),
    ("api.run_reconciliation", "POST"): frozenset({S, AD}),
    ("api.get_reconciliation", "GET"): frozenset({AU, S, AD}),
    ("api.list_reconciliation_exceptions", "GET"): frozenset({AU, S, AD}),
    ("api.resolve_reconciliation_exception", "POST"): frozenset({S, AD}),
    ("api.receipt_status", "GET"): frozenset({O, S}),
    ("api.reprint_receipt", "POST"): frozenset({O, S}),
    ("api.close_day", "POST"): frozenset({O, S}),
    ("api.list_day_reports", "GET"): frozenset({AU, O, S}),
}


def _area_tables() -> None:
    """Each area of pages keeps its rows in ``tests/security/routes_<area>.py`` (``EXPECTED``, ``PARAMS``).

    Same rules as above: every row on purpose; an endpoint listed twice is a mistake and fails here.
    """
    for path in sorted(Path(__file__).parent.glob("routes_*.py")):
        module = importlib.import_module(f"tests.security.{path.stem}")
        for table, part in ((EXPECTED, getattr(module, "EXPECTED", {})), (PARAMS, getattr(module, "PARAMS", {}))):
            twice = sorted(str(k) for k in part if k in table and table[k] is not part[k])
            assert not twice, f"{path.name} lists again what is already in the matrix: {twice}"
            table.update(part)

# Harmless values for path parameters; a new parameter name must be added here on purpose.
PARAMS = {
    "checkout_id": lambda: str(uuid.uuid4()), "journal_id": lambda: str(uuid.uuid4()),
    "exception_id": lambda: str(uuid.uuid4()), "op_id": lambda: str(uuid.uuid4()),
    "kiosk": lambda: "KIOS-NOPE", "day": lambda: "2026-01-02", "code": lambda: "en",
    "pseudonym": lambda: "P-NOSUCHFARMER", "filename": lambda: "kiosk.css", "key": lambda: "no-such-key",
}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_area_tables()


@dataclass
class Caller:
    """One principal of the matrix: a person (session + CSRF), the agent (bearer) or nobody."""

    name: str
    role: Role | None
    client: FlaskClient
    headers: dict[str, str] = field(default_factory=dict)
    csrf: str = ""

    def call(self, method: str, path: str) -> tuple[int, str]:
        headers = {**self.headers, "Idempotency-Key": f"matrix-{uuid.uuid4()}"}
        if self.csrf and method != "GET":
            headers["X-CSRFToken"] = self.csrf
        response = self.client.open(path, method=method, headers=headers, json={} if method != "GET" else None)
        response.close()  # a static file's answer holds the file open
        return response.status_code, response.headers.get("Location", "")


def _callers(app: Flask) -> Iterator[Caller]:
    for role in PEOPLE:
        client = person(app, role)
        yield Caller(role.value, role, client, csrf=csrf_token(client))
    yield Caller("agent", Role.AGENT, app.test_client(), {"Authorization": f"Bearer {add_token(app, 'matrix-agent', AG)}"})
    nobody = app.test_client()
    yield Caller("anonymous", None, nobody, csrf=csrf_token(nobody))


def _path(app: Flask, rule: Rule) -> str:
    missing = [a for a in rule.arguments if a not in PARAMS]
    if missing:
        pytest.fail(f"route {rule.endpoint} ({rule.rule}) has path parameters without a harmless test value: {missing}")
    with app.test_request_context():
        return app.url_for(rule.endpoint, **{a: PARAMS[a]() for a in rule.arguments})


def _routes(app: Flask) -> list[tuple[str, str, Rule]]:
    found = [(r.endpoint, m, r) for r in app.url_map.iter_rules() for m in sorted(r.methods or ()) if m in METHODS]
    return sorted(found, key=lambda x: (x[0], x[1]))


def test_the_table_names_every_route_and_no_route_that_is_gone(secure_app: Flask) -> None:
    served = {(e, m) for e, m, _ in _routes(secure_app)}
    unlisted = sorted(served - EXPECTED.keys())
    assert not unlisted, ("routes missing from EXPECTED in tests/security/test_routes.py (add each on purpose, "
                          f"with the roles it should admit): {unlisted}")
    gone = sorted(EXPECTED.keys() - served)
    assert not gone, f"EXPECTED names routes the app no longer serves: {gone}"


def _verdict(caller: Caller, allowed: frozenset[Role] | str, path: str, status: int, location: str) -> str | None:
    admitted = allowed == ANYONE or (caller.role is not None and caller.role in allowed)
    if admitted:
        return f"admitted but answered {status}" if status in (401, 403) else None
    if caller.role is not None:
        return None if status == 403 else f"should be refused with 403, got {status}"
    if path.startswith("/api/"):
        return None if status == 401 else f"anonymous on the API should get 401, got {status}"
    if status == 302 and "/login" in location:
        return None
    return f"anonymous should be sent to the login page, got {status} {location}"


def walk(app: Flask) -> list[tuple[str, str, str, Caller, int, str]]:
    """Every (route, method) with every caller: (endpoint, method, path, caller, status, Location)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is an answer (500) here, to be reported
    callers = list(_callers(app))
    seen = []
    for endpoint, method, rule in _routes(app):
        for caller in callers:
            path = _path(app, rule)
            status, location = caller.call(method, path)
            seen.append((endpoint, method, path, caller, status, location))
            if endpoint == "auth.logout" and caller.role is not None and caller.role.is_person:
                caller.client = person(app, caller.role)  # logged out: a fresh login for the rest
                caller.csrf = csrf_token(caller.client)
            elif endpoint == "auth.logout" and caller.role is None:
                caller.csrf = csrf_token(caller.client)  # logout cleared the anonymous session's CSRF token too
    return seen


def test_every_route_with_every_role_and_none(secure_app: Flask) -> None:
    problems: list[str] = []
    for endpoint, method, path, caller, status, location in walk(secure_app):
        allowed = EXPECTED.get((endpoint, method))
        if allowed is None:
            problems.append(f"{method} {endpoint}: not in EXPECTED")
            continue
        why = _verdict(caller, allowed, path, status, location)
        if why:
            problems.append(f"{method} {path} ({endpoint}) as {caller.name}: {why}")
    assert not problems, "\n".join(problems)


def test_no_route_answers_a_server_error_to_harmless_requests(secure_app: Flask) -> None:
    """Empty bodies and unknown ids are bad input: a clear 4xx, never a 5xx (a 503 only for a device
    or host that is really not there)."""
    crashes = [f"{method} {path} ({endpoint}) as {caller.name}: {status}"
               for endpoint, method, path, caller, status, _ in walk(secure_app) if status >= 500 and status != 503]
    assert not crashes, "\n".join(crashes)
