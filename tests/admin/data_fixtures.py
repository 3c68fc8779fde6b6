"""Fixtures of the admin data page tests (tests/admin/test_data_*.py): the web app as production wires
it (CSRF on) on a fresh database of each backend, with tests/fertilizer/world.py's small Soppeng
(two kecamatan, three outlets, Ridwan and Suriani registered in the app's own farmer key store), people
of each role logged in through the login form, and a way to post a page's form with its CSRF token.

Import the fixtures in a test module: ``from tests.admin.data_fixtures import data_app  # noqa: F401``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from fertilizer.farmers import register_farmers
from fertilizer.registry import add_reference
from fertilizer.schema import HetPrice
from kiosk.db import get_db
from kiosk.models import Role
from tests.fertilizer.world import MAN, REF, WOMAN, snapshot
from tests.security.conftest import add_user, close_app, login, make_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_people = iter(range(1_000_000))


@pytest.fixture
def data_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(db_url, tmp_path)
    with app.app_context(), get_db().sessions.begin() as s:
        add_reference(s, REF)
        register_farmers(s, app.extensions["kiosk.services"].keys(), [MAN, WOMAN], now=datetime.now(UTC))
    yield app
    close_app(app)


def as_role(app: Flask, role: Role, kiosk: str | None = None) -> FlaskClient:
    """A new person with ``role`` (bound to ``kiosk`` if given), logged in through the form."""
    username = f"{role.value}-{next(_people)}"
    add_user(app, username, role, kiosk)
    client = app.test_client()
    assert login(client, username) == 302
    return client


def token(page: TestResponse) -> str:
    found = CSRF.search(page.get_data(as_text=True))
    assert found is not None, "the page has no CSRF token"
    return found.group(1)


def post_form(client: FlaskClient, page_url: str, action: str, data: dict[str, Any], **kw: Any) -> TestResponse:
    """Post ``data`` to ``action`` with the CSRF token of the form page at ``page_url`` (as a browser does)."""
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    return client.post(action, data={**data, "csrf_token": token(page)}, **kw)


def counts(app: Flask) -> dict[str, int]:
    """Row counts of the registry and the ledger (farmers, quotas, accounts, journals, entries) and HET rows."""
    with app.app_context(), get_db().sessions() as s:
        return {**snapshot(s), "het_prices": int(s.scalar(sa.select(sa.func.count()).select_from(HetPrice)) or 0)}


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def field_errors(response: TestResponse, name: str) -> str:
    """The messages shown right after the field ``name`` ("" when it has none)."""
    found = re.search(rf'<div id="{name}-errors">(.*?)</div>', text(response), re.S)
    return re.sub(r"<[^>]+>", " ", found.group(1)).strip() if found else ""


def english(client: FlaskClient) -> None:
    """Switch ``client``'s interface to English (the language switch form, with its token)."""
    page = client.get("/login")
    assert client.post("/lang/en", data={"csrf_token": token(page), "next": "/"}).status_code == 302
