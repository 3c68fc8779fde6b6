"""Fixtures of the security tests: an app with CSRF on (as in production), people of every role
logged in through the real login form, machine tokens, and a clock the login throttle reads."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import create_app
from kiosk.auth import create_token, create_user
from kiosk.db import get_db
from kiosk.models import Role
from tests.conftest import TEST_SETTINGS

PASSWORD = "correct horse battery"
KIOSK = "KIOS-SEC-01"
PEOPLE = (Role.OPERATOR, Role.SUPERVISOR, Role.AUDITOR, Role.DINAS, Role.ADMIN)
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|name="csrf-token" content="([^"]+)"')


class FakeClock:
    """A zone-aware clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 12, 5, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_app(db_url: str, tmp_path: Path, **overrides: object) -> Flask:
    """The web app as production wires it (CSRF on), on a fresh test database."""
    return create_app({**TEST_SETTINGS, "database_url": db_url, "instance_path": str(tmp_path / "instance"),
                       "farmer_keys_dir": str(tmp_path / "farmer-keys"), **overrides})


def close_app(app: Flask) -> None:
    runner = app.extensions.get("kiosk.runner")
    if runner is not None:
        runner.shutdown()
    with app.app_context():
        app.extensions["kiosk.services"].close()
        get_db().engine.dispose()


@pytest.fixture
def secure_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(db_url, tmp_path)
    assert app.config.get("WTF_CSRF_ENABLED", True)
    yield app
    close_app(app)


@pytest.fixture
def clock(secure_app: Flask) -> FakeClock:
    fake = FakeClock()
    secure_app.extensions["kiosk.throttle"] = dataclasses.replace(secure_app.extensions["kiosk.throttle"], clock=fake)
    return fake


def add_user(app: Flask, username: str, role: Role, kiosk_code: str | None = None) -> None:
    with app.app_context(), get_db().sessions.begin() as s:
        create_user(s, app.extensions["kiosk.hasher"], username=username, password=PASSWORD, role=role,
                    kiosk_code=kiosk_code if kiosk_code or role is not Role.OPERATOR else KIOSK)


def add_token(app: Flask, name: str, role: Role) -> str:
    with app.app_context(), get_db().sessions.begin() as s:
        return create_token(s, name=name, role=role, kiosk_code=KIOSK if role is Role.AGENT else None)[1]


def csrf_token(client: FlaskClient) -> str:
    """The CSRF token of ``client``'s session, as a page hands it to the browser."""
    page = client.get("/login").get_data(as_text=True)
    found = _CSRF.search(page)
    if found is None:
        raise AssertionError("no CSRF token on the login page")
    return found.group(1) or found.group(2)


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> int:
    """Log in through the real form (with its CSRF token); returns the status."""
    status: int = client.post("/login", data={"username": username, "password": password,
                                              "csrf_token": csrf_token(client)}).status_code
    return status


def person(app: Flask, role: Role) -> FlaskClient:
    """A new user with ``role``, logged in; the client keeps the session cookie."""
    username = f"{role.value}-{len(app.extensions.setdefault('tests.people', []))}"
    app.extensions["tests.people"].append(username)
    add_user(app, username, role)
    client = app.test_client()
    assert login(client, username) == 302
    return client
