"""Security headers on a page, an API answer, a static file and an error page; the session cookie's
attributes; the session's idle and absolute lifetimes; HSTS and Secure cookies in production."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from kiosk.auth.access import AUTH_AT
from kiosk.models import Role
from kiosk.security import CSP
from tests.security.conftest import add_user, close_app, make_app, person

ALWAYS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def _check_common(response: Any, what: str) -> None:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (what, name, response.headers.get(name))
    policy = response.headers["Permissions-Policy"]
    assert "camera=()" in policy and "usb=()" in policy and "serial=()" in policy, what
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp, what


def test_the_policy_forbids_inline_script_and_style() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["base-uri"] == "'none'"
    assert directives["form-action"] == "'self'" and directives["img-src"] == "'self' data:"


def test_headers_on_pages_api_answers_static_files_and_errors(secure_app: Flask) -> None:
    supervisor = person(secure_app, Role.SUPERVISOR)
    anonymous = secure_app.test_client()
    answers = {
        "login page": (anonymous.get("/login"), 200),
        "authenticated page": (supervisor.get("/supervisor/exceptions"), 200),
        "public API answer": (anonymous.get("/api/v1/openapi.json"), 200),
        "authenticated API answer": (supervisor.get("/api/v1/checkouts"), 200),
        "API refusal": (anonymous.get("/api/v1/checkouts"), 401),
        "error page": (anonymous.get("/no/such/page"), 404),
        "error envelope": (supervisor.get("/api/v1/no-such-thing"), 404),
    }
    for what, (response, status) in answers.items():
        assert response.status_code == status, (what, response.status_code)
        _check_common(response, what)
        assert response.headers["Cache-Control"] == "no-store", what
        assert "Strict-Transport-Security" not in response.headers, what  # not in production
    static = anonymous.get("/static/kiosk.css")
    assert static.status_code == 200
    _check_common(static, "static file")
    assert "no-store" not in static.headers.get("Cache-Control", "")  # static files may be cached
    static.close()


def test_the_session_cookie_is_httponly_lax_and_expires(secure_app: Flask) -> None:
    add_user(secure_app, "siti", Role.SUPERVISOR)
    client = secure_app.test_client()
    client.get("/login")
    response = client.post("/login", data={"username": "siti", "password": "correct horse battery",
                                           "csrf_token": _token(client)})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie and "Path=/" in cookie and "Secure" not in cookie  # testing: plain http
    assert secure_app.permanent_session_lifetime == timedelta(minutes=60)


def _token(client: Any) -> str:
    from tests.security.conftest import csrf_token

    return csrf_token(client)


def test_a_login_ends_after_session_max_hours_however_busy(secure_app: Flask) -> None:
    client = person(secure_app, Role.SUPERVISOR)
    assert client.get("/").status_code == 200
    with client.session_transaction() as s:
        s[AUTH_AT] = int(time.time()) - 12 * 3600 - 5
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/checkouts").status_code == 401


def test_a_login_of_unknown_age_is_not_trusted(secure_app: Flask) -> None:
    client = person(secure_app, Role.SUPERVISOR)
    with client.session_transaction() as s:
        del s[AUTH_AT]
    assert client.get("/").status_code == 302


def test_an_unused_session_expires(secure_app: Flask) -> None:
    """The signed cookie carries its signing time; the server refuses it after the idle lifetime."""
    client = person(secure_app, Role.SUPERVISOR)
    secure_app.permanent_session_lifetime = timedelta(seconds=1)
    time.sleep(2.2)
    assert client.get("/").status_code == 302


@pytest.fixture
def production_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(db_url, tmp_path, env="production", password_time_cost=2, password_memory_kib=19456)
    yield app
    close_app(app)


def test_production_adds_hsts_and_secure_host_only_cookies(production_app: Flask) -> None:
    add_user(production_app, "siti", Role.SUPERVISOR)
    client = production_app.test_client(use_cookies=True)
    page = client.get("/login", base_url="https://kiosk.example")
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    _check_common(page, "production page")
    token = _token_https(client)
    response = client.post("/login", base_url="https://kiosk.example", headers={"Referer": "https://kiosk.example/login"},
                           data={"username": "siti", "password": "correct horse battery", "csrf_token": token})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-kiosk_session=") and "Secure" in cookie and "HttpOnly" in cookie
    assert "Domain=" not in cookie and "Path=/" in cookie
    assert production_app.config["REMEMBER_COOKIE_SECURE"] and production_app.config["REMEMBER_COOKIE_SAMESITE"] == "Strict"


def _token_https(client: Any) -> str:
    import re

    page = client.get("/login", base_url="https://kiosk.example").get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_logged_in_pages_never_run_inline_code(secure_app: Flask) -> None:
    """What the CSP forbids must not be what the pages rely on: no inline <script>, no style=
    attributes, no on* handlers in the pages a logged-in person gets."""
    import re

    pages = {Role.SUPERVISOR: ["/", "/supervisor/exceptions", "/status"], Role.OPERATOR: ["/operator", "/status"]}
    for role, paths in pages.items():
        client = person(secure_app, role)
        for path in paths:
            html = client.get(path).get_data(as_text=True)
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), (path, "inline script")
            assert not re.search(r"\sstyle=", html), (path, "inline style attribute")
            assert not re.search(r"<style", html), (path, "style element")
            assert not re.search(r"\son[a-z]+=", html), (path, "inline event handler")
