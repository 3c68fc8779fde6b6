"""CSRF: every state-changing route refuses a cookie-authenticated request without the token (400,
``csrf_failed``), takes it with the token, and never asks a bearer-token caller for one."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from kiosk.models import Role
from tests.security.conftest import add_token, csrf_token, person
from tests.security.test_routes import ANYONE, EXPECTED, PARAMS, _routes

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _writes(app: Flask) -> list[tuple[str, str, str]]:
    out = []
    for endpoint, method, rule in _routes(app):
        if method in WRITES:
            with app.test_request_context():
                out.append((endpoint, method, app.url_for(endpoint, **{a: PARAMS[a]() for a in rule.arguments})))
    return out


def _refused_for_csrf(response: Any) -> bool:
    if response.status_code != 400:
        return False
    body = response.get_json(silent=True)
    if body is not None:
        return bool(body.get("error", {}).get("code") == "csrf_failed")
    return 'data-error="csrf_failed"' in response.get_data(as_text=True)


def _admitted_role(endpoint: str, method: str) -> Role:
    allowed = EXPECTED[(endpoint, method)]
    return Role.ADMIN if allowed == ANYONE else min(allowed)  # type: ignore[arg-type]


def _send(client: FlaskClient, method: str, path: str, **headers: str) -> Any:
    response = client.open(path, method=method, json={},
                           headers={"Idempotency-Key": f"csrf-{uuid.uuid4()}", **headers})
    response.close()
    return response


def test_the_checks_below_see_every_write_route_of_the_table(secure_app: Flask) -> None:
    listed = {(e, m) for (e, m) in EXPECTED if m in WRITES}
    assert {(e, m) for e, m, _ in _writes(secure_app)} == listed and len(listed) >= 15


def test_cookie_authenticated_writes_need_the_token(secure_app: Flask) -> None:
    secure_app.config["PROPAGATE_EXCEPTIONS"] = False
    clients: dict[Role, FlaskClient] = {}
    problems = []
    for endpoint, method, path in _writes(secure_app):
        role = _admitted_role(endpoint, method)
        client = clients.get(role) or clients.setdefault(role, person(secure_app, role))
        without = _send(client, method, path)
        if not _refused_for_csrf(without):
            problems.append(f"{method} {path} without a token as {role.value}: {without.status_code}, not a CSRF refusal")
        wrong = _send(client, method, path, **{"X-CSRFToken": "forged-token"})
        if not _refused_for_csrf(wrong):
            problems.append(f"{method} {path} with a forged token: {wrong.status_code}, not a CSRF refusal")
        with_token = _send(client, method, path, **{"X-CSRFToken": csrf_token(client)})
        if _refused_for_csrf(with_token):
            problems.append(f"{method} {path} with the token was refused for CSRF")
        if endpoint == "auth.logout":
            clients.pop(role)
    assert not problems, "\n".join(problems)


def test_anonymous_writes_need_the_token_too(secure_app: Flask) -> None:
    client = secure_app.test_client()
    for endpoint, method, path in _writes(secure_app):
        assert _refused_for_csrf(_send(client, method, path)), (method, path)


def test_bearer_token_requests_need_no_csrf_token(secure_app: Flask) -> None:
    secure_app.config["PROPAGATE_EXCEPTIONS"] = False
    tokens: dict[Role, str] = {}
    for endpoint, method, path in _writes(secure_app):
        role = _admitted_role(endpoint, method)
        token = tokens.get(role) or tokens.setdefault(role, add_token(secure_app, f"csrf-{role.value}", role))
        response = _send(secure_app.test_client(), method, path, Authorization=f"Bearer {token}")
        assert not _refused_for_csrf(response), (method, path)
        assert response.status_code not in (401, 403), (method, path, response.status_code)
        assert "Set-Cookie" not in response.headers or "session" not in response.headers["Set-Cookie"], (method, path)
